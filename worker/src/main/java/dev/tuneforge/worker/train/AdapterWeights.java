package dev.tuneforge.worker.train;

import dev.tuneforge.worker.adapter.Adapter;
import dev.tuneforge.worker.adapter.AdapterFiles;
import java.nio.file.Path;

/**
 * Adapter training (LoRA, DPO's LoRA, prompt tuning): only the adapter's tensors are trainable and saved, in PEFT's
 * layout, the base model frozen.
 */
public final class AdapterWeights implements TrainedWeights {

    private final Adapter adapter;
    private final TrainableParameters parameters;
    private final String baseModel;

    public AdapterWeights(Adapter adapter, String baseModel) {
        this.adapter = adapter;
        this.parameters = TrainableParameters.of(adapter.parameters());
        this.baseModel = baseModel;
    }

    @Override
    public TrainableParameters parameters() {
        return parameters;
    }

    @Override
    public String outputKind() {
        return "adapter";
    }

    @Override
    public void save(Path dir) {
        adapter.save(dir, baseModel);
    }

    @Override
    public void restore(Path dir) {
        parameters.restore(dir.resolve(AdapterFiles.WEIGHTS_FILE));
    }

    @Override
    public void setTraining(boolean training) {
        adapter.setTraining(training);
    }
}
