package dev.tuneforge.kit.storage;

/** Object keys that more than one service reads (DESIGN §6). */
public final class ObjectKeys {

    private ObjectKeys() {
    }

    /** The base-model catalogue: a Hugging Face model directory per name, shared by all projects. */
    public static String baseModel(String name) {
        return "base-models/" + name + "/";
    }
}
