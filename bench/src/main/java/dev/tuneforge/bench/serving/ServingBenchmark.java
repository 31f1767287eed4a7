package dev.tuneforge.bench.serving;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.bench.Timing;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.lora.LoraModel;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.safetensors.DType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Many adapters in one {@code worker serve --adapters} (djl runtime, CPU): a Llama of about 42 M parameters (hidden
 * 768, 6 layers, float32, 170 MB of weights) and {@value #VERSIONS} LoRA adapters (r 16 on every projection,
 * 5.6 MB each), served by one real server process.
 * <ul>
 * <li>Memory: the server's resident set ({@code VmRSS} of {@code /proc/<pid>/status}, after a full GC) once it has
 *     served one version
 *     and once it has served all {@value #VERSIONS}; goal: at most 1.3 times. (One server per version, as the gateway
 *     ran them before, costs {@value #VERSIONS} times the first.)</li>
 * <li>Time to first token (a chat request with {@code max_tokens} 1, greedy, a prompt of about 100 tokens): the
 *     first request naming an adapter (cold: it is read from disk and attached) vs later ones (warm), median of each.
 *     </li>
 * </ul>
 */
public final class ServingBenchmark {

    private static final int VERSIONS = 10;
    private static final int WARM_REQUESTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ServingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path workerHome = Path.of(args.length > 0 ? args[0] : "worker/target").toAbsolutePath();
        Path dir = Files.createTempDirectory("serving-bench-");
        TinyLlamaWriter.Spec spec = new TinyLlamaWriter.Spec(768, 2048, 6, 12, 4, 64, 61, false, false, DType.F32, 1,
                512, 10000.0, 0.02, 42L);
        Path model = TinyLlamaWriter.write(dir.resolve("base"), spec);
        Path adapters = Files.createDirectories(dir.resolve("adapters"));
        writeAdapters(model, adapters);
        WorkerCommand djl = WorkerCommand.djl(Path.of(System.getProperty("java.home")), workerHome, 1, "2g");

        System.out.printf("model: hidden %d, %d layers, float32; %d LoRA adapters r 16 on every projection%n",
                spec.hiddenSize(), spec.layers(), VERSIONS);
        try (Server server = Server.start(djl, model, adapters); HttpClient http = HttpClient.newHttpClient()) {
            firstToken(http, server, null); // the base model: the JIT and libtorch's first allocations
            List<Double> cold = new ArrayList<>();
            List<Double> warm = new ArrayList<>();
            long oneVersion = 0;
            for (int v = 0; v < VERSIONS; v++) {
                String id = "bench:" + v;
                cold.add(firstToken(http, server, id));
                for (int i = 0; i < WARM_REQUESTS; i++) {
                    warm.add(firstToken(http, server, id));
                }
                if (v == 0) {
                    oneVersion = server.rssKb();
                }
            }
            long allVersions = server.rssKb();
            System.out.printf("resident memory, one version:   %,8d KiB%n", oneVersion);
            System.out.printf("resident memory, %d versions:   %,8d KiB  ratio %.3f (goal <= 1.3)%n", VERSIONS,
                    allVersions, (double) allVersions / oneVersion);
            System.out.printf("one server per version instead: %,8d KiB  (%d x one version)%n",
                    oneVersion * VERSIONS, VERSIONS);
            double coldMedian = Timing.median(cold);
            double warmMedian = Timing.median(warm);
            System.out.printf("time to first token, cold adapter: median %.1f ms (%d requests)%n", coldMedian,
                    cold.size());
            System.out.printf("time to first token, warm adapter: median %.1f ms (%d requests)  cold/warm %.2f%n",
                    warmMedian, warm.size(), coldMedian / warmMedian);
        }
    }

    /** {@value #VERSIONS} adapters {@code bench:<v>}: A as PEFT starts it, B random, so each changes the answer. */
    private static void writeAdapters(Path model, Path adapters) {
        try (NDManager m = NDManager.newBaseManager("PyTorch"); LlamaModel llama = LlamaModel.load(model, m)) {
            for (int v = 0; v < VERSIONS; v++) {
                LoraModel lora = LoraModel.attach(llama, new TrainSpec.Lora(16, 32, 0, List.of("all-linear"), false),
                        v);
                SplittableRandom random = new SplittableRandom(100 + v);
                lora.parameters().forEach((name, p) -> {
                    if (name.contains("lora_B")) {
                        float[] values = new float[Math.toIntExact(p.getShape().size())];
                        for (int i = 0; i < values.length; i++) {
                            values[i] = (float) (random.nextGaussian() * 0.01);
                        }
                        p.set(values);
                    }
                });
                lora.save(adapters.resolve("bench:" + v), model.toString());
                lora.close();
            }
        }
    }

    /** Milliseconds until the answer of a one-token greedy chat request naming {@code id} (null: the base model). */
    private static double firstToken(HttpClient http, Server server, String id) throws Exception {
        ObjectNode request = JSON.createObjectNode().put("max_tokens", 1).put("temperature", 0);
        if (id != null) {
            request.put("model", id);
        }
        request.putArray("messages").addObject().put("role", "user").put("content",
                "Summarise what a LoRA adapter changes in a model and why serving many of them from one process "
                        + "saves memory; answer in one short paragraph. ".repeat(2));
        long start = System.nanoTime();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(server.url("/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(request.toString()))
                .build(), HttpResponse.BodyHandlers.ofString());
        double ms = (System.nanoTime() - start) / 1e6;
        if (response.statusCode() != 200) {
            throw new IllegalStateException(id + ": " + response.statusCode() + " " + response.body());
        }
        return ms;
    }

    /** A {@code worker serve --adapters} process on a free port. */
    private record Server(Process process, int port) implements AutoCloseable {

        static Server start(WorkerCommand djl, Path model, Path adapters) throws IOException {
            List<String> line = new ArrayList<>(djl.prefix());
            line.addAll(List.of("serve", "--model", model.toString(), "--adapters", adapters.toString(),
                    "--max-adapters", Integer.toString(VERSIONS), "--port", "0"));
            ProcessBuilder builder = new ProcessBuilder(line).redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().putAll(djl.env());
            Process process = builder.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            for (String event = out.readLine(); event != null; event = out.readLine()) {
                JsonNode node = JSON.readTree(event);
                if (node.path("event").asText().equals("serving")) {
                    return new Server(process, node.path("port").asInt());
                }
            }
            throw new IllegalStateException("worker serve exited before serving");
        }

        URI url(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        /**
         * The resident set after a full collection ({@code jcmd GC.run}: G1 then gives unused heap back), so that the
         * garbage of reading weights into Java arrays does not blur what stays: the model, the adapters, the JVM.
         */
        long rssKb() throws IOException, InterruptedException {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.run")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start().waitFor();
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            throw new IllegalStateException("no VmRSS for " + process.pid());
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
