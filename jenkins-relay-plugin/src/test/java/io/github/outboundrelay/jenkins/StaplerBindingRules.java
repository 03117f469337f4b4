package io.github.outboundrelay.jenkins;

import java.beans.IntrospectionException;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.apache.commons.beanutils.ConvertUtils;
import org.apache.commons.beanutils.ConvertUtilsBean;
import org.apache.commons.beanutils.Converter;
import org.apache.commons.beanutils.converters.DoubleConverter;
import org.apache.commons.beanutils.converters.FloatConverter;
import org.apache.commons.beanutils.converters.IntegerConverter;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * How Stapler binds a submitted form (its JSON, here a {@code Map}) to the plugin's objects, for the shapes the
 * plugin's forms have: text, numbers and booleans, enums, and a repeatable list of {@link DataBoundConstructor}
 * objects. Read from jenkinsci/stapler {@code core/src/main/java/org/kohsuke/stapler/RequestImpl.java} at
 * 1967.vfcb_700b_75e9e (core's stapler.version at jenkins-2.504.3):
 * <ul>
 *   <li>{@code bindJSON(Object bean, JSONObject)}: each key goes to the bean's writable property of that name
 *       (any public setter, PropertyUtils); a setter's exception reaches the caller;</li>
 *   <li>{@code instantiate}: the {@code @DataBoundConstructor}'s parameters by name (reflection names, which
 *       {@code -parameters} keeps), then {@code injectSetters}: remaining keys go to public {@code @DataBoundSetter}
 *       setters only, and a setter's exception is logged and swallowed;</li>
 *   <li>{@code TypePair.convertJSON}: a JSON object for a list is a list of one, an array a list of each; single
 *       values through {@code Stapler.lookupConverter}: {@code Stapler.CONVERT_UTILS} (commons-beanutils 1.10.1,
 *       core's version, with Stapler's null-default converters for Integer, Float, Double registered in
 *       {@code Stapler.java}'s static block), then beanutils' global {@code ConvertUtils}.</li>
 * </ul>
 * The conversions are the real commons-beanutils ones: "abc" bound to an {@code int} is 0, without an error.
 */
final class StaplerBindingRules {
    private static final Logger LOGGER = Logger.getLogger(StaplerBindingRules.class.getName());
    private static final ConvertUtilsBean CONVERT_UTILS = new ConvertUtilsBean();

    static {
        CONVERT_UTILS.register(new IntegerConverter(null), Integer.class);
        CONVERT_UTILS.register(new FloatConverter(null), Float.class);
        CONVERT_UTILS.register(new DoubleConverter(null), Double.class);
    }

    private StaplerBindingRules() {
    }

    /** {@code StaplerRequest2.bindJSON(bean, json)}. */
    static void bind(Object bean, Map<String, Object> json) {
        for (Map.Entry<String, Object> e : json.entrySet()) {
            Method setter = writeMethod(bean.getClass(), e.getKey());
            if (setter == null) {
                continue; // Stapler skips keys with no property, silently
            }
            invoke(setter, bean, convert(setter.getGenericParameterTypes()[0], setter.getParameterTypes()[0], e.getValue()));
        }
    }

    /** The value Stapler passes for one JSON value bound to {@code type}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Object convert(Type generic, Class<?> type, Object json) {
        if (List.class.isAssignableFrom(type)) {
            Class<?> item = (Class<?>) ((ParameterizedType) generic).getActualTypeArguments()[0];
            List<Object> list = new ArrayList<>();
            if (json instanceof List<?> array) {
                array.forEach(o -> list.add(convert(item, item, o)));
            } else if (json != null) {
                list.add(convert(item, item, json));
            }
            return list;
        }
        if (json instanceof Map<?, ?> object) {
            return instantiate(type, (Map<String, Object>) object);
        }
        if (json == null) {
            return null;
        }
        if (type.isEnum()) {
            return Enum.valueOf((Class) type, json.toString());
        }
        Converter converter = CONVERT_UTILS.lookup(type);
        if (converter == null) {
            converter = ConvertUtils.lookup(type);
        }
        if (converter == null) {
            throw new IllegalArgumentException("Unable to convert to " + type);
        }
        return converter.convert(type, json);
    }

    private static Object instantiate(Class<?> type, Map<String, Object> json) {
        Constructor<?> constructor = Arrays.stream(type.getConstructors())
                .filter(c -> c.isAnnotationPresent(DataBoundConstructor.class)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(type + " has no @DataBoundConstructor"));
        Parameter[] parameters = constructor.getParameters();
        List<String> names = new ArrayList<>();
        Object[] args = new Object[parameters.length];
        for (int i = 0; i < parameters.length; i++) {
            if (!parameters[i].isNamePresent()) {
                throw new IllegalArgumentException(constructor + ": parameter names are not in the class file (compile with -parameters)");
            }
            names.add(parameters[i].getName());
            args[i] = convert(parameters[i].getParameterizedType(), parameters[i].getType(), json.get(parameters[i].getName()));
        }
        Object bean;
        try {
            bean = constructor.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("Failed to invoke " + constructor, e);
        }
        for (Map.Entry<String, Object> e : json.entrySet()) {
            if (names.contains(e.getKey())) {
                continue;
            }
            Method setter = dataBoundSetter(type, e.getKey());
            if (setter == null) {
                continue;
            }
            try {
                setter.invoke(bean, convert(setter.getGenericParameterTypes()[0], setter.getParameterTypes()[0], e.getValue()));
            } catch (IllegalAccessException | InvocationTargetException x) {
                LOGGER.warning("Cannot access property " + e.getKey() + " of " + type + ": " + x); // Stapler logs and goes on
            }
        }
        return bean;
    }

    /** The property names Stapler can bind on a top-level bean: writable properties. */
    static Method writeMethod(Class<?> type, String name) {
        try {
            for (PropertyDescriptor p : Introspector.getBeanInfo(type).getPropertyDescriptors()) {
                if (p.getName().equals(name) && p.getWriteMethod() != null) {
                    return p.getWriteMethod();
                }
            }
            return null;
        } catch (IntrospectionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RequestImpl.findDataBoundSetter: public, "set" + name, one parameter, {@code @DataBoundSetter}. */
    static Method dataBoundSetter(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && m.getName().startsWith("set") && m.getParameterCount() == 1
                        && m.isAnnotationPresent(DataBoundSetter.class)
                        && Introspector.decapitalize(m.getName().substring(3)).equals(name)) {
                    return m;
                }
            }
        }
        return null;
    }

    /** The names a nested form object binds: its constructor's parameters and its {@code @DataBoundSetter}s. */
    static List<String> boundNames(Class<?> type) {
        List<String> names = new ArrayList<>();
        Arrays.stream(type.getConstructors()).filter(c -> c.isAnnotationPresent(DataBoundConstructor.class))
                .flatMap(c -> Arrays.stream(c.getParameters())).map(Parameter::getName).forEach(names::add);
        for (Method m : type.getMethods()) {
            if (m.getName().startsWith("set") && m.getParameterCount() == 1 && m.isAnnotationPresent(DataBoundSetter.class)) {
                names.add(Introspector.decapitalize(m.getName().substring(3)));
            }
        }
        return names;
    }

    private static void invoke(Method setter, Object bean, Object value) {
        try {
            setter.invoke(bean, value);
        } catch (IllegalAccessException e) {
            throw new IllegalAccessError(e.getMessage());
        } catch (InvocationTargetException e) {
            if (e.getTargetException() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getTargetException());
        }
    }
}
