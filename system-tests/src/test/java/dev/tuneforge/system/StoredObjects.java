package dev.tuneforge.system;

import dev.tuneforge.events.Topics;
import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.test.TopicClient;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every object in the stack's bucket against everything that names one: each row of every table of the five
 * databases and each event on the platform's topics (the event log is a reference too: a checkpoint only
 * {@code CheckpointSaved} names stays). An object no row or event names is an orphan. What "names" means:
 * <ul>
 * <li>its key, or a prefix ending in {@code /} that it is under (a directory: an adapter, a checkpoint);</li>
 * <li>a file beside it in its directory, when it is that directory's {@code manifest.json} (DirectorySync's
 *     completeness record of the upload the file is part of, e.g. the eval cache's results);</li>
 * <li>a job's artifact {@code .../output/<kind>/}, for everything under {@code .../output/}: an attempt's output is one
 *     upload, the artifact and the trainer state beside it;</li>
 * <li>the base-model catalogue is its own record: a directory under {@code base-models/} with its
 *     {@code manifest.json} (written last) is a base model; one without is a failed upload;</li>
 * <li>the few-shot baseline's held-out file {@code projects/{p}/eval/few-shot/{dataset}-v{n}/k{k}.jsonl} is derived
 *     from that dataset version (its held-out and training splits, always the same for the same k), so it is named
 *     where the version is: by a key under {@code projects/{p}/datasets/{dataset}/v{n}/}.</li>
 * </ul>
 */
final class StoredObjects {

    /** An object key as it appears inside a row's text or an event's JSON. */
    private static final Pattern KEY = Pattern.compile("(?:projects|base-models)/[^\\s\"'(),\\\\]+");
    private static final Pattern OUTPUT = Pattern.compile("(.*/output/)[^/]+/");
    private static final String MANIFEST = "manifest.json";
    private static final Pattern FEW_SHOT = Pattern.compile("projects/([^/]+)/eval/few-shot/([^/]+)-v(\\d+)/[^/]+");

    private StoredObjects() {
    }

    /** The objects of the bucket no row or event names, sorted. */
    static List<String> orphans(EmbeddedStack stack) throws Exception {
        Set<String> references = new HashSet<>();
        for (String database : EmbeddedStack.DATABASES) {
            references.addAll(inRows(stack, database));
        }
        TopicClient topics = new TopicClient(stack.kafkaBootstrapServers());
        for (String topic : Topics.MAIN) {
            topics.readAll(topic).forEach(r -> references.addAll(keysIn(r.value())));
        }
        Set<String> prefixes = new HashSet<>();
        for (String reference : references) {
            if (reference.endsWith("/")) {
                prefixes.add(reference);
            }
            Matcher output = OUTPUT.matcher(reference);
            if (output.matches()) {
                prefixes.add(output.group(1));
            }
        }
        List<String> objects = objects(stack);
        Set<String> baseModels = new HashSet<>();
        for (String key : objects) {
            if (key.startsWith("base-models/") && key.endsWith("/" + MANIFEST)) {
                baseModels.add(key.substring(0, key.length() - MANIFEST.length()));
            }
        }
        prefixes.addAll(baseModels);
        List<String> orphans = new ArrayList<>();
        for (String key : objects) {
            boolean named = references.contains(key) || prefixes.stream().anyMatch(key::startsWith)
                    || key.endsWith("/" + MANIFEST) && references.stream().anyMatch(r -> !r.endsWith("/")
                            && r.substring(0, r.lastIndexOf('/') + 1).equals(key.substring(0, key.lastIndexOf('/') + 1)));
            Matcher fewShot = FEW_SHOT.matcher(key);
            if (!named && fewShot.matches()) {
                String version = "projects/" + fewShot.group(1) + "/datasets/" + fewShot.group(2) + "/v"
                        + fewShot.group(3) + "/";
                named = references.stream().anyMatch(r -> r.startsWith(version));
            }
            if (!named) {
                orphans.add(key);
            }
        }
        return orphans.stream().sorted().toList();
    }

    /** Every object of the bucket (a filesystem-backed S3 server also lists directories, which are no objects). */
    private static List<String> objects(EmbeddedStack stack) throws Exception {
        MinioClient s3 = stack.s3Client();
        List<String> keys = new ArrayList<>();
        for (Result<Item> item : s3.listObjects(ListObjectsArgs.builder().bucket(stack.bucket()).recursive(true)
                .build())) {
            String key = item.get().objectName();
            if (!key.endsWith("/")) {
                keys.add(key);
            }
        }
        return keys;
    }

    /** The keys named in any row of any table of {@code database}. */
    private static Set<String> inRows(EmbeddedStack stack, String database) throws Exception {
        Set<String> keys = new HashSet<>();
        try (Connection connection = DriverManager.getConnection(stack.jdbcUrl(database), stack.dbUsername(),
                stack.dbPassword()); Statement statement = connection.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("SELECT table_name FROM information_schema.tables "
                    + "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            for (String table : tables) {
                try (ResultSet rows = statement.executeQuery("SELECT t::text FROM \"" + table + "\" t")) {
                    while (rows.next()) {
                        keys.addAll(keysIn(rows.getString(1)));
                    }
                }
            }
        }
        return keys;
    }

    private static List<String> keysIn(String text) {
        List<String> keys = new ArrayList<>();
        if (text != null) {
            Matcher m = KEY.matcher(text);
            while (m.find()) {
                keys.add(m.group());
            }
        }
        return keys;
    }
}
