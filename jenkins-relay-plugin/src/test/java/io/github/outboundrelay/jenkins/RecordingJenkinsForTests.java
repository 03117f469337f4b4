package io.github.outboundrelay.jenkins;

import hudson.security.ACL;
import hudson.security.Permission;
import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import jenkins.model.Jenkins;
import org.springframework.security.core.Authentication;

/**
 * The Jenkins runtime cannot exist here, so tests install a stand-in Jenkins (the API stand-in's, through its
 * private fields: nothing the plugin could reach) with the extensions a test needs and an ACL that records every
 * permission check into a shared event list, and either grants or denies.
 */
final class RecordingJenkinsForTests implements AutoCloseable {
    final List<String> events = new CopyOnWriteArrayList<>();
    final Jenkins jenkins;

    private RecordingJenkinsForTests(File root, boolean administrator, List<Object> extensions) throws Exception {
        ACL acl = new ACL() {
            @Override
            public boolean hasPermission2(Authentication a, Permission permission) {
                events.add("checkPermission " + permission.getId() + (administrator ? " granted" : " denied"));
                return administrator;
            }
        };
        Constructor<Jenkins> c = Jenkins.class.getDeclaredConstructor(File.class, ACL.class, String.class);
        c.setAccessible(true);
        jenkins = c.newInstance(root, acl, "http://jenkins.example.com/");
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) field("extensions").get(jenkins);
        list.addAll(extensions);
        field("theInstance").set(null, jenkins);
    }

    static RecordingJenkinsForTests administrator(File root, Object... extensions) throws Exception {
        return new RecordingJenkinsForTests(root, true, List.of(extensions));
    }

    static RecordingJenkinsForTests anonymous(File root, Object... extensions) throws Exception {
        return new RecordingJenkinsForTests(root, false, List.of(extensions));
    }

    /** Adds an extension after start, such as a RelayConfiguration that needs this Jenkins to construct. */
    @SuppressWarnings("unchecked")
    void register(Object extension) throws Exception {
        ((List<Object>) field("extensions").get(jenkins)).add(extension);
    }

    private static Field field(String name) throws NoSuchFieldException {
        Field f = Jenkins.class.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    @Override
    public void close() throws Exception {
        field("theInstance").set(null, null);
    }
}
