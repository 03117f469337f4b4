package io.github.outboundrelay.jenkins;

import hudson.model.AbstractBuild;
import hudson.model.AbstractProject;
import hudson.model.BuildListener;
import hudson.model.Item;
import hudson.model.ItemGroup;
import hudson.model.Job;
import hudson.model.Result;
import hudson.model.Run;
import hudson.model.TaskListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.jenkinsci.plugins.workflow.steps.StepContext;

/**
 * Jobs and runs as Jenkins hands them to the plugin, on the API stand-in (no Jenkins runtime can exist here): a
 * folder, a pipeline job and its run for the {@code relayMail} step, a freestyle project and its build for the
 * notifier, a build log, and the step's context.
 */
final class JobsForTests {
    private JobsForTests() {
    }

    /** A folder: the first part of its jobs' full names. */
    record FolderForTests(String fullName) implements ItemGroup<Item> {
        @Override
        public String getFullName() {
            return fullName;
        }
    }

    static final FolderForTests TEAM = new FolderForTests("team");

    static final class PipelineForTests extends Job<PipelineForTests, PipelineRunForTests> {
        PipelineForTests(ItemGroup<?> folder, String name) {
            super(folder, name);
        }
    }

    static final class PipelineRunForTests extends Run<PipelineForTests, PipelineRunForTests> {
        final int number;

        PipelineRunForTests(PipelineForTests job, int number) throws IOException {
            super(job);
            this.number = number;
        }

        @Override
        public int getNumber() {
            return number;
        }

        @Override
        public String getUrl() {
            return "job/team/job/" + getParent().getName() + "/" + number + "/";
        }
    }

    /** Run 7 of the pipeline {@code team/deploy}. */
    static PipelineRunForTests pipelineRun() {
        try {
            return new PipelineRunForTests(new PipelineForTests(TEAM, "deploy"), 7);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final class FreestyleProjectForTests extends AbstractProject<FreestyleProjectForTests, FreestyleBuildForTests> {
        FreestyleProjectForTests() {
            super(TEAM, "app");
        }
    }

    /** Build 2 of {@code team/app} (or 1 without a previous build). */
    static final class FreestyleBuildForTests extends AbstractBuild<FreestyleProjectForTests, FreestyleBuildForTests> {
        final Result result;
        final FreestyleBuildForTests previous;

        FreestyleBuildForTests(Result result, FreestyleBuildForTests previous) throws IOException {
            super(new FreestyleProjectForTests());
            this.result = result;
            this.previous = previous;
        }

        @Override
        public Result getResult() {
            return result;
        }

        @Override
        public FreestyleBuildForTests getPreviousBuild() {
            return previous;
        }

        @Override
        public int getNumber() {
            return previous == null ? 1 : 2;
        }

        @Override
        public String getFullDisplayName() {
            return "app #" + getNumber();
        }

        @Override
        public String getUrl() {
            return "job/team/job/app/" + getNumber() + "/";
        }
    }

    static final class BuildLogForTests implements BuildListener {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        @Override
        public PrintStream getLogger() {
            return out;
        }

        String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    /** What a pipeline gives the step: its log and its run. */
    static StepContext contextWith(TaskListener listener, Run<?, ?> run) {
        return new StepContext() {
            @Override
            public <T> T get(Class<T> key) {
                return key.cast(key == TaskListener.class ? listener : key == Run.class ? run : null);
            }
        };
    }

    static StepContext contextWith(TaskListener listener) {
        return contextWith(listener, pipelineRun());
    }
}
