package io.github.outboundrelay.jenkins;

import java.util.function.Supplier;

/**
 * jakarta.mail finds its providers through the thread's context class loader. On a Jenkins request thread that is
 * the loader of all plugins, which may hold another plugin's jakarta.mail; pinning ours keeps the bundled Angus
 * Mail (the version relay-common was tested with) in use.
 */
final class PluginClassLoader {
    private PluginClassLoader() {
    }

    static <T> T call(Supplier<T> action) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(PluginClassLoader.class.getClassLoader());
        try {
            return action.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
