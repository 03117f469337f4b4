package io.github.outboundrelay.jenkins;

import hudson.model.Run;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The job and run a mail comes from, written into every job mail as headers so that whoever receives abuse can
 * trace it: {@code X-Jenkins-Job: team/app #12} and, when Jenkins knows its own URL, {@code X-Jenkins-Build-URL}.
 * The values go through the message's header validation: a name with a line break is refused, never sent.
 *
 * @param job    the job's full name, folders included
 * @param number the run's number
 * @param url    the run's absolute URL, or null when Jenkins's root URL is not set
 */
record JobOrigin(String job, int number, String url) {
    static final String JOB_HEADER = "X-Jenkins-Job";
    static final String BUILD_URL_HEADER = "X-Jenkins-Build-URL";

    /** @param rootUrl Jenkins's root URL ({@code Jenkins.get().getRootUrl()}), or null when not configured */
    static JobOrigin of(Run<?, ?> run, String rootUrl) {
        return new JobOrigin(run.getParent().getFullName(), run.getNumber(),
                rootUrl == null || rootUrl.isBlank() ? null : rootUrl + run.getUrl());
    }

    Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(JOB_HEADER, job + " #" + number);
        if (url != null) {
            headers.put(BUILD_URL_HEADER, url);
        }
        return headers;
    }
}
