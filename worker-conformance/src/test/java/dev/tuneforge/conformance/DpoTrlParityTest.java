package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.data.Batch;
import dev.tuneforge.worker.data.DatasetReader;
import dev.tuneforge.worker.data.Example;
import dev.tuneforge.worker.data.ExampleEncoder;
import dev.tuneforge.worker.data.TokenizedExample;
import dev.tuneforge.worker.data.TokenizedPair;
import dev.tuneforge.worker.lora.LoraModel;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.DataFormat;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.train.DpoLoss;
import dev.tuneforge.worker.train.PairScorer;
import dev.tuneforge.worker.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The djl runtime's DPO loss is TRL's (issue 20): on a batch of training pairs, with the adapter the djl DPO run
 * trained (so the rewards are not zero) and the reference log-probabilities that run kept, TRL's
 * {@code DPOTrainer._compute_loss} on the djl runtime's logits gives the loss the djl runtime computes to
 * {@value #LOSS_TOLERANCE}, with and without label smoothing; and transformers + PEFT give the same summed answer
 * log-probabilities to {@value #LOGP_TOLERANCE} relative ({@code dpo/trl_dpo_loss.py}, the torch runtime's python).
 */
class DpoTrlParityTest {

    static final double LOSS_TOLERANCE = 1e-5;
    static final double LOGP_TOLERANCE = 1e-4;
    private static final int PAIRS = 4;

    @Test
    void theDjlRuntimesDpoLossEqualsTrlsOnTheSameBatchAndItsLogProbabilitiesEqualTransformers() throws IOException {
        WorkerRun.Outcome run = Suite.dpo(Runtime.DJL);
        Path adapter = Path.of(run.last(WorkerEvent.Finished.class).outputs().get("adapter"));
        JsonNode reference = Layout.json(run.workdir().resolve("out/reference_logps.json")).get("train");
        Path workdir = Conformance.workspace("dpo-trl", "djl");
        ObjectNode batch = Layout.JSON.createObjectNode();
        double beta = Suite.DPO.beta();
        double smoothing = Suite.DPO.labelSmoothing();
        double[] chosen;
        double[] rejected;
        double djlLoss;
        double djlSmoothedLoss;
        double djlMargin;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             HfTokenizer tokenizer = HfTokenizer.load(Suite.fixtureModel());
             LlamaModel model = LlamaModel.load(Suite.fixtureModel(), manager);
             LoraModel lora = LoraModel.load(model, adapter)) {
            ExampleEncoder encoder = new ExampleEncoder(tokenizer, Suite.dpoSpec().hyperparameters().maxSeqLength());
            List<TokenizedPair> pairs = DatasetReader.read(run.workdir().resolve("pairs.jsonl"), DataFormat.PREFERENCE)
                    .subList(0, PAIRS).stream().map(e -> encoder.encodePair((Example.Preference) e)).toList();
            long padId = Trainer.padId(tokenizer);
            List<PairScorer.Score> scores = PairScorer.score(model, pairs, PAIRS, padId);
            chosen = scores.stream().mapToDouble(PairScorer.Score::chosenLogp).toArray();
            rejected = scores.stream().mapToDouble(PairScorer.Score::rejectedLogp).toArray();
            float[][] ref = new float[2][PAIRS];
            for (int i = 0; i < PAIRS; i++) {
                ref[0][i] = (float) reference.get(i).get(0).asDouble();
                ref[1][i] = (float) reference.get(i).get(1).asDouble();
            }
            DpoLoss.Pairs plain = new DpoLoss(beta, 0).of(floats(manager, chosen), floats(manager, rejected),
                    manager.create(ref[0]), manager.create(ref[1]));
            DpoLoss.Pairs smoothed = new DpoLoss(beta, smoothing).of(floats(manager, chosen),
                    floats(manager, rejected), manager.create(ref[0]), manager.create(ref[1]));
            djlLoss = plain.losses().mean().getFloat();
            djlSmoothedLoss = smoothed.losses().mean().getFloat();
            djlMargin = plain.rewards().mean().getFloat();

            Batch rows = PairScorer.batchOf(pairs, padId);
            Batch.Tensors tensors = rows.toTensors(manager);
            NDArray logits = model.forward(tensors.inputIds(), tensors.positions(), tensors.mask());
            writeBatch(batch, rows, logits);
            batch.put("beta", beta).put("label_smoothing", smoothing);
            batch.put("model", Suite.fixtureModel().toString()).put("adapter", adapter.toString());
            ArrayNode refChosen = batch.putArray("ref_chosen_logps");
            ArrayNode refRejected = batch.putArray("ref_rejected_logps");
            for (int i = 0; i < PAIRS; i++) {
                refChosen.add(ref[0][i]);
                refRejected.add(ref[1][i]);
            }
        }
        Path batchFile = workdir.resolve("batch.json");
        Layout.JSON.writeValue(batchFile.toFile(), batch);
        Python.Result result = Python.run(workdir, Python.resource("dpo/trl_dpo_loss.py"), batchFile.toString(),
                workdir.resolve("report.json").toString());
        assertEquals(0, result.status(), "trl_dpo_loss.py: " + result.describe());
        JsonNode report = Layout.json(workdir.resolve("report.json"));

        System.out.printf("DPO vs TRL: loss djl %.7f trl %.7f; smoothed djl %.7f trl %.7f; on transformers' logits "
                        + "%.7f; reward margin djl %.6f trl %.6f%n", djlLoss, report.get("sigmoid_loss").asDouble(),
                djlSmoothedLoss, report.get("smoothed_loss").asDouble(),
                report.get("transformers_sigmoid_loss").asDouble(), djlMargin, report.get("reward_margin").asDouble());
        assertTrue(Math.abs(djlMargin) > 1e-3, "the trained adapter moved the rewards, so the loss is not just log 2: "
                + djlMargin);
        assertEquals(report.get("sigmoid_loss").asDouble(), djlLoss, LOSS_TOLERANCE, "TRL's sigmoid loss");
        assertEquals(report.get("smoothed_loss").asDouble(), djlSmoothedLoss, LOSS_TOLERANCE,
                "with label smoothing " + smoothing);
        assertEquals(report.get("reward_margin").asDouble(), djlMargin, LOSS_TOLERANCE, "TRL's rewards/margins");
        for (int i = 0; i < PAIRS; i++) {
            double c = report.get("logps_chosen").get(i).asDouble();
            double r = report.get("logps_rejected").get(i).asDouble();
            assertEquals(c, chosen[i], LOGP_TOLERANCE * Math.abs(c), "logp(chosen) of pair " + i);
            assertEquals(r, rejected[i], LOGP_TOLERANCE * Math.abs(r), "logp(rejected) of pair " + i);
        }
        assertEquals(report.get("transformers_sigmoid_loss").asDouble(), djlLoss, LOGP_TOLERANCE,
                "TRL's loss on transformers' own logits");
    }

    private static NDArray floats(NDManager manager, double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return manager.create(f);
    }

    /**
     * TRL's layout of the rows: {@code attention_mask} 1 on tokens, {@code completion_mask} 1 on answer tokens (a
     * position whose token is the previous position's target), and the logits.
     */
    private static void writeBatch(ObjectNode batch, Batch rows, NDArray logits) {
        ArrayNode ids = batch.putArray("input_ids");
        ArrayNode attention = batch.putArray("attention_mask");
        ArrayNode completion = batch.putArray("completion_mask");
        for (int r = 0; r < rows.rows(); r++) {
            ArrayNode idRow = ids.addArray();
            ArrayNode attentionRow = attention.addArray();
            ArrayNode completionRow = completion.addArray();
            for (int t = 0; t < rows.length(); t++) {
                int at = r * rows.length() + t;
                idRow.add(rows.inputIds()[at]);
                attentionRow.add(rows.segments()[at] == Batch.PAD_SEGMENT ? 0 : 1);
                completionRow.add(t > 0 && rows.targets()[at - 1] != TokenizedExample.IGNORE ? 1 : 0);
            }
        }
        float[] values = logits.toFloatArray();
        int vocab = (int) logits.getShape().get(2);
        ArrayNode all = batch.putArray("logits");
        for (int r = 0; r < rows.rows(); r++) {
            ArrayNode row = all.addArray();
            for (int t = 0; t < rows.length(); t++) {
                ArrayNode position = row.addArray();
                int at = (r * rows.length() + t) * vocab;
                for (int v = 0; v < vocab; v++) {
                    position.add(values[at + v]);
                }
            }
        }
    }
}
