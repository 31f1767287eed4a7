package dev.tuneforge.worker.eval;

import ai.djl.ndarray.NDManager;
import dev.tuneforge.worker.data.DataException;
import dev.tuneforge.worker.data.DatasetReader;
import dev.tuneforge.worker.data.Example;
import dev.tuneforge.worker.data.ExampleEncoder;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.adapter.Adapter;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.model.ModelConfigException;
import dev.tuneforge.worker.protocol.EvalSpec;
import dev.tuneforge.worker.EventSink;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.GenerationParams;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.WorkerFailure;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.protocol.DataFormat;
import dev.tuneforge.worker.train.Devices;
import dev.tuneforge.worker.train.PairScorer;
import dev.tuneforge.worker.train.Trainer;
import dev.tuneforge.worker.train.Validation;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code worker evaluate}: per example, the mean token loss over the reference answer and, when
 * asked, a generation from the prompt (the chat template with the generation prompt; greedy unless the
 * spec sets a temperature) compared with the reference. One JSON line per example in the results file; totals in {@code finished}.
 * A preference pair is scored on its chosen answer, and adds both answers' log-probabilities given the prompt.
 */
public final class Evaluator {

    /** Prompts generated together; bounded so padding to the longest stays cheap. */
    private static final int GENERATION_BATCH = 16;

    private final EvalSpec spec;
    private final EventSink events;

    public Evaluator(EvalSpec spec, EventSink events) {
        this.spec = spec;
        this.events = events;
    }

    /**
     * One example's scores, as written to the results file (null fields are left out): the preference fields for
     * pairs only.
     */
    public record ExampleResult(int index, double loss, int tokens, double tokenAccuracy, String generated,
                                String reference, Boolean exactMatch, Double chosenLogp, Double rejectedLogp,
                                Boolean prefersChosen) {

        ExampleResult withPair(PairScorer.Score pair) {
            return pair == null ? this : new ExampleResult(index, loss, tokens, tokenAccuracy, generated, reference,
                    exactMatch, pair.chosenLogp(), pair.rejectedLogp(), pair.chosenLogp() > pair.rejectedLogp());
        }
    }

    public ExitCode run() {
        List<Example> examples;
        try {
            if (!Files.isRegularFile(spec.data())) {
                throw new DataException(spec.data() + ": no such file");
            }
            examples = DatasetReader.read(spec.data(), spec.format());
        } catch (DataException e) {
            throw WorkerFailure.badData(e.getMessage(), e);
        }
        try (NDManager root = NDManager.newBaseManager(Devices.resolve(spec.device()), "PyTorch");
             HfTokenizer tokenizer = HfTokenizer.load(spec.baseModel());
             LlamaModel model = load(root)) {
            Adapter adapter = spec.adapter() == null ? null : loadAdapter(model);
            events.emit(new WorkerEvent.Started("evaluate", "djl", spec.device(), examples.size(), examples.size(),
                    null, 0, 0));
            ExampleEncoder encoder = new ExampleEncoder(tokenizer, spec.maxSeqLength());
            Generator generator = new Generator(model, StopTokens.of(spec.baseModel(), tokenizer),
                    Trainer.padId(tokenizer), ids -> tokenizer.decode(ids, true));
            double nll = 0;
            long tokens = 0;
            double correct = 0;
            int matches = 0;
            int generated = 0;
            int preferred = 0;
            double marginSum = 0;
            Files.createDirectories(spec.output().toAbsolutePath().getParent());
            // Written under a temporary name and renamed when complete: a results file that exists is whole
            // (a Kubernetes pod's sync sidecar uploads it as soon as it appears).
            Path partial = spec.output().resolveSibling(spec.output().getFileName() + ".partial");
            try (BufferedWriter out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
                for (int start = 0; start < examples.size(); start += GENERATION_BATCH) {
                    List<Example> chunk = examples.subList(start, Math.min(examples.size(), start + GENERATION_BATCH));
                    List<ExampleResult> results = score(start, chunk, encoder, tokenizer, model, generator);
                    for (ExampleResult r : results) {
                        nll += r.loss() * r.tokens();
                        tokens += r.tokens();
                        correct += r.tokenAccuracy() * r.tokens();
                        if (r.exactMatch() != null) {
                            generated++;
                            matches += r.exactMatch() ? 1 : 0;
                        }
                        if (r.prefersChosen() != null) {
                            preferred += r.prefersChosen() ? 1 : 0;
                            marginSum += r.chosenLogp() - r.rejectedLogp();
                        }
                        out.write(EventSink.JSON.writeValueAsString(r));
                        out.newLine();
                    }
                    events.emit(new WorkerEvent.Progress(start + chunk.size(), examples.size(), 0,
                            nll / Math.max(1, tokens), 0, 0, 0, 0));
                }
            }
            Files.move(partial, spec.output(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            if (adapter != null) {
                adapter.close();
            }
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("examples", examples.size());
            metrics.put("valid_loss", nll / Math.max(1, tokens));
            metrics.put("perplexity", Math.exp(nll / Math.max(1, tokens)));
            metrics.put("token_accuracy", correct / Math.max(1, tokens));
            metrics.put("tokens", tokens);
            if (generated > 0) {
                metrics.put("exact_match", (double) matches / generated);
            }
            if (spec.format() == DataFormat.PREFERENCE) {
                metrics.put("preference_accuracy", (double) preferred / examples.size());
                metrics.put("logp_margin", marginSum / examples.size());
            }
            events.emit(new WorkerEvent.Finished(0, Map.of("results", spec.output().toString()), metrics));
            return ExitCode.DONE;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + spec.output(), e);
        }
    }

    /** The spec's adapter on {@code model}; one this runtime cannot read or load is a bad spec, said so. */
    private Adapter loadAdapter(LlamaModel model) {
        try {
            return Adapter.load(model, spec.adapter());
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw WorkerFailure.badSpec("adapter: " + e.getMessage());
        }
    }

    private LlamaModel load(NDManager root) {
        try {
            return LlamaModel.load(spec.baseModel(), root);
        } catch (ModelConfigException | UncheckedIOException e) {
            throw WorkerFailure.badSpec("base_model: " + e.getMessage());
        }
    }

    private List<ExampleResult> score(int first, List<Example> chunk, ExampleEncoder encoder, HfTokenizer tokenizer,
                                      LlamaModel model, Generator generator) {
        List<Validation.Result> losses = chunk.stream()
                .map(e -> Validation.run(model, List.of(encoder.encode(e)), 1, 0))
                .toList();
        // A pair's answers are scored as training scores them (PairScorer), one pair per forward pass.
        long padId = Trainer.padId(tokenizer);
        List<PairScorer.Score> pairs = chunk.stream()
                .map(e -> e instanceof Example.Preference p
                        ? PairScorer.score(model, List.of(encoder.encodePair(p)), 1, padId).getFirst() : null)
                .toList();
        List<ExampleResult> results = new ArrayList<>();
        GenerationParams params = spec.generation();
        if (params.maxNewTokens() == 0) {
            for (int i = 0; i < chunk.size(); i++) {
                Validation.Result l = losses.get(i);
                results.add(new ExampleResult(first + i, l.loss(), (int) l.tokens(), l.tokenAccuracy(), null, null,
                        null, null, null, null).withPair(pairs.get(i)));
            }
            return results;
        }
        List<long[]> prompts = new ArrayList<>();
        List<String> references = new ArrayList<>();
        for (Example example : chunk) {
            switch (example) {
                case Example.Chat chat -> {
                    ExampleEncoder.ChatPrompt p = ExampleEncoder.promptOf(chat);
                    prompts.add(tokenizer.encodeChat(p.messages(), true));
                    references.add(p.reference());
                }
                case Example.Completion c -> {
                    prompts.add(tokenizer.encode(c.prompt(), true));
                    references.add(c.completion());
                }
                case Example.Preference pair -> {
                    ExampleEncoder.ChatPrompt p = ExampleEncoder.promptOf(pair);
                    prompts.add(tokenizer.encodeChat(p.messages(), true));
                    references.add(p.reference());
                }
            }
        }
        // Example i samples with seed + i, whatever batch it falls in.
        List<Generation> outputs = generator.generate(prompts, params.withSeed(params.seed() == null ? null
                : params.seed() + first));
        for (int i = 0; i < chunk.size(); i++) {
            Validation.Result l = losses.get(i);
            String text = outputs.get(i).text();
            results.add(new ExampleResult(first + i, l.loss(), (int) l.tokens(), l.tokenAccuracy(), text,
                    references.get(i), text.strip().equals(references.get(i).strip()), null, null, null)
                    .withPair(pairs.get(i)));
        }
        return results;
    }
}
