package dev.tuneforge.gateway.worker;

import dev.tuneforge.gateway.domain.ChatTarget;

import java.io.IOException;
import java.nio.file.Path;

/** Puts the files a chat target is served from on this machine, for {@code worker serve}. */
interface ModelStaging {

    /**
     * The model directory and, for a LoRA version, the adapter directory, complete on return.
     *
     * @param adapter null for a base model or a full model
     */
    record Staged(Path model, Path adapter) {
    }

    Staged stage(ChatTarget target) throws IOException;
}
