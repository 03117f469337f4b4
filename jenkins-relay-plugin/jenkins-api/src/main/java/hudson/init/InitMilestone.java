// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/init/InitMilestone.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// The real enum implements org.jvnet.hudson.reactor.Milestone (lib-task-reactor, outside the checked trees) and has
// ordering(), which returns a reactor type: both left out, nothing here uses them. Every constant is here, in order.
package hudson.init;

public enum InitMilestone {
    STARTED("Started initialization"),
    PLUGINS_LISTED("Listed all plugins"),
    PLUGINS_PREPARED("Prepared all plugins"),
    PLUGINS_STARTED("Started all plugins"),
    EXTENSIONS_AUGMENTED("Augmented all extensions"),
    SYSTEM_CONFIG_LOADED("System config loaded"),
    SYSTEM_CONFIG_ADAPTED("System config adapted"),
    JOB_LOADED("Loaded all jobs"),
    JOB_CONFIG_ADAPTED("Configuration for all jobs updated"),
    COMPLETED("Completed initialization");

    private final String message;

    InitMilestone(String message) {
        this.message = message;
    }

    @Override
    public String toString() {
        return message;
    }
}
