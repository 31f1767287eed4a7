package dev.tuneforge.dataset.domain;

/** Object keys of a dataset version (DESIGN §6). */
final class DatasetLayout {

    private DatasetLayout() {
    }

    static String versionPrefix(String projectId, String datasetId, int version) {
        return "projects/" + projectId + "/datasets/" + datasetId + "/v" + version + "/";
    }
}
