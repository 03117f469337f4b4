package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;

import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * Every field of every form reaches its object the way Stapler binds it ({@link StaplerBindingRules}, the real
 * commons-beanutils conversions): a field Stapler cannot bind is a setting silently lost on save, which no stand-in
 * test shows.
 */
class FormBindingTest {
    static final Path VIEWS = JellyViewsTest.VIEWS.resolve("io/github/outboundrelay/jenkins");

    /** The objects Stapler builds from a form through their {@code @DataBoundConstructor}. */
    static final List<Class<?>> INSTANTIATED = List.of(RelayEndpoint.class, RelayMailNotifier.class, RelayMailStep.class);

    static List<String> fields(String view) throws Exception {
        List<String> fields = new ArrayList<>();
        for (Element e : JellyViewsTest.elements(JellyViewsTest.parse(VIEWS.resolve(view)), "entry")) {
            if (!e.getAttribute("field").isEmpty()) {
                fields.add(e.getAttribute("field"));
            }
        }
        return fields;
    }

    /** A distinctive form value for a property of this type, as the browser sends it (text, or a boolean). */
    static Object formValue(String field, Class<?> type) {
        if (type == int.class || type == Integer.class) {
            return Integer.toString(7 + field.length());
        }
        if (type == boolean.class) {
            return Boolean.TRUE;
        }
        return "value-of-" + field;
    }

    static Object expected(Object formValue, Class<?> type) {
        return type == int.class ? Integer.parseInt((String) formValue) : formValue;
    }

    static Class<?> getterType(Class<?> owner, String property) throws Exception {
        for (PropertyDescriptor p : Introspector.getBeanInfo(owner).getPropertyDescriptors()) {
            if (p.getName().equals(property) && p.getReadMethod() != null) {
                return p.getReadMethod().getReturnType();
            }
        }
        throw new AssertionError(owner.getSimpleName() + " has no getter for " + property);
    }

    static Object read(Object bean, String property) throws Exception {
        for (PropertyDescriptor p : Introspector.getBeanInfo(bean.getClass()).getPropertyDescriptors()) {
            if (p.getName().equals(property)) {
                return p.getReadMethod().invoke(bean);
            }
        }
        throw new AssertionError(property);
    }

    @Test
    void everyFieldOfTheSettingsPageIsSavedWithTheValueTyped() throws Exception {
        List<String> fields = fields("RelayConfiguration/config.jelly");
        assertThat(fields).hasSizeGreaterThanOrEqualTo(13);
        Map<String, Object> form = new LinkedHashMap<>();
        for (String field : fields) {
            if (!field.equals("relays")) {
                form.put(field, formValue(field, getterType(RelayConfiguration.class, field)));
            }
        }
        form.put("relays", List.of(Map.of("host", "relay-1.example.com"), Map.of("host", "relay-2.example.com", "port", "2525")));
        RelayConfiguration bound = new RelayConfiguration();
        StaplerBindingRules.bind(bound, form);
        for (String field : fields) {
            if (field.equals("relays")) {
                assertThat(bound.getRelays()).extracting(RelayEndpoint::getHost).containsExactly("relay-1.example.com", "relay-2.example.com");
                assertThat(bound.getRelays().get(1).getPort()).isEqualTo("2525");
            } else {
                assertThat(read(bound, field)).as(field).isEqualTo(expected(form.get(field), getterType(RelayConfiguration.class, field)));
            }
        }
    }

    @Test
    void everyFieldOfEveryInstantiatedFormIsAConstructorArgumentOrADataBoundSetter() throws Exception {
        Map<Class<?>, String> views = Map.of(RelayEndpoint.class, "RelayEndpoint/config.jelly",
                RelayMailNotifier.class, "RelayMailNotifier/config.jelly", RelayMailStep.class, "RelayMailStep/config.jelly");
        for (Class<?> type : INSTANTIATED) {
            List<String> fields = fields(views.get(type));
            assertThat(StaplerBindingRules.boundNames(type)).as(type.getSimpleName()).containsAll(fields);
            Map<String, Object> form = new LinkedHashMap<>();
            fields.forEach(f -> form.put(f, formValue(f, getterTypeUnchecked(type, f))));
            Object bound = StaplerBindingRules.convert(type, type, form);
            for (String field : fields) {
                assertThat(read(bound, field)).as(type.getSimpleName() + "." + field)
                        .isEqualTo(expected(form.get(field), getterTypeUnchecked(type, field)));
            }
        }
    }

    /** Why the port is text: Stapler turns "abc" into 0 for an int, which meant "the usual port", with no error. */
    @Test
    void staplerBindsTextThatIsNotANumberToAnIntAsZero() {
        assertThat(StaplerBindingRules.convert(int.class, int.class, "abc")).isEqualTo(0);
        assertThat(StaplerBindingRules.convert(Integer.class, Integer.class, "abc")).isNull();
        RelayEndpoint relay = (RelayEndpoint) StaplerBindingRules.convert(RelayEndpoint.class, RelayEndpoint.class,
                Map.of("host", "smtp.example.com", "port", "abc"));
        assertThat(relay.getPort()).isEqualTo("abc");
    }

    private static Class<?> getterTypeUnchecked(Class<?> owner, String property) {
        try {
            return getterType(owner, property);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
