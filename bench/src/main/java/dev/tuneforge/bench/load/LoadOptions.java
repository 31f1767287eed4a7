package dev.tuneforge.bench.load;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code bench/load.sh} runs, from {@code --name value} pairs; every one has a default sized for a 2-core
 * machine shared with other work, so the whole run takes a few minutes. Times are in seconds.
 *
 * @param examples  lines of each uploaded file
 * @param maxSteps  training steps of each job
 * @param maxTokens the longest chat answer
 */
record LoadOptions(Workload uploads, int examples, Workload jobs, int maxSteps, Workload chats, int maxTokens) {

    static final String USAGE = """
            usage: bench/load.sh [--name value ...]   (times in seconds; a count of 0 skips the workload)
              uploads:  --uploads 100 --upload-clients 5  --upload-time 120  --upload-settle 180  --upload-examples 24
              jobs:     --jobs 10     --job-clients 3     --job-time 240     --job-settle 300     --max-steps 2
              chat:     --chats 200   --chat-clients 4    --chat-time 60     --chat-settle 60     --max-tokens 8
            -time: new items start only this long after the first; -settle: how long one item may take to
            finish (an upload to be ready, a job to end, a chat request to be answered).""";

    private static final Map<String, Integer> DEFAULTS = defaults();

    private static Map<String, Integer> defaults() {
        Map<String, Integer> d = new LinkedHashMap<>();
        d.put("uploads", 100);
        d.put("upload-clients", 5);
        d.put("upload-time", 120);
        d.put("upload-settle", 180);
        d.put("upload-examples", 24);
        d.put("jobs", 10);
        d.put("job-clients", 3);
        d.put("job-time", 240);
        d.put("job-settle", 300);
        d.put("max-steps", 2);
        d.put("chats", 200);
        d.put("chat-clients", 4);
        d.put("chat-time", 60);
        d.put("chat-settle", 60);
        d.put("max-tokens", 8);
        return d;
    }

    static LoadOptions parse(String[] args) {
        Map<String, Integer> v = new LinkedHashMap<>(DEFAULTS);
        for (int i = 0; i < args.length; i += 2) {
            String name = args[i].startsWith("--") ? args[i].substring(2) : null;
            if (name == null || !v.containsKey(name) || i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown or incomplete option '" + args[i] + "'");
            }
            try {
                v.put(name, Integer.parseInt(args[i + 1]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + args[i + 1] + "'");
            }
        }
        return new LoadOptions(workload(v, "uploads", "upload"), v.get("upload-examples"),
                workload(v, "jobs", "job"), v.get("max-steps"),
                workload(v, "chats", "chat"), v.get("max-tokens"));
    }

    private static Workload workload(Map<String, Integer> v, String count, String prefix) {
        return new Workload(v.get(prefix + "-clients"), v.get(count), Duration.ofSeconds(v.get(prefix + "-time")),
                Duration.ofSeconds(v.get(prefix + "-settle")));
    }
}
