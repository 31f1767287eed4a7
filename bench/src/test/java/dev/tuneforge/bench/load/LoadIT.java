package dev.tuneforge.bench.load;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The load test in CI (issue #18, "Load", bounded in count and time): {@link LoadTest} as {@code bench/load.sh} runs
 * it — the whole platform from the services' jars, concurrent uploads, chat requests and fine-tuning jobs, then every
 * "nothing lost, nothing doubled" check — with small counts, so that it takes two or three minutes on 2 cores. The
 * full-size run, whose figures are in {@code docs/RELIABILITY.md}, is {@code bench/load.sh} with its defaults.
 */
class LoadIT {

    /** A few items per workload, more than one client each, so that requests overlap. */
    static final String[] CI_SIZE = {
            "--uploads", "20", "--upload-clients", "3", "--upload-time", "120", "--upload-settle", "240",
            "--chats", "40", "--chat-clients", "3", "--chat-time", "60", "--chat-settle", "120",
            "--jobs", "3", "--job-clients", "3", "--job-time", "120", "--job-settle", "420"};

    @Test
    void concurrentUploadsChatsAndJobsLoseNothingAndGetNoServerError() throws Exception {
        Path repo = Path.of(System.getProperty("tuneforge.repo", "..")).toAbsolutePath().normalize();

        boolean clean = LoadTest.run(repo, repo.resolve("bench/target/load-it"), LoadOptions.parse(CI_SIZE));

        assertTrue(clean, "the load test found errors or lost items: see ✗ and ! in its output above");
    }
}
