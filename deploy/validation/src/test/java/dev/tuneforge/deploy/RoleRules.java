package dev.tuneforge.deploy;

import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API request an HTTP request to the API server is, as its authorizer sees it (group, resource with
 * subresource, verb, namespace), and whether a Role's rules grant it. fabric8's mock server enforces no RBAC, so the
 * tests check every request a client made against the rules themselves.
 */
final class RoleRules {

    private static final Pattern PATH = Pattern.compile(
            "^/(?:api/v1|apis/([^/]+)/[^/]+)(?:/namespaces/([^/?]+))?/([^/?]+)(?:/([^/?]+))?(?:/([^/?]+))?(?:\\?(.*))?$");

    /** One request: {@code namespace} null for a cluster-scoped one. */
    record Request(String group, String resource, String verb, String namespace, String line) {
        @Override
        public String toString() {
            return (group.isEmpty() ? "" : group + "/") + resource + " " + verb + " in " + namespace + " (" + line + ")";
        }
    }

    private RoleRules() {
    }

    static Request parse(String method, String path) {
        Matcher m = PATH.matcher(path);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a resource request: " + method + " " + path);
        }
        String group = m.group(1) == null ? "" : m.group(1);
        String resource = m.group(3) + (m.group(5) == null ? "" : "/" + m.group(5));
        boolean named = m.group(4) != null;
        String query = m.group(6) == null ? "" : m.group(6);
        String verb = switch (method) {
            case "GET" -> named ? "get" : query.matches("(^|.*&)watch=(true|1)(&.*|$)") ? "watch" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> throw new IllegalArgumentException("method " + method);
        };
        return new Request(group, resource, verb, m.group(2), method + " " + path);
    }

    static boolean grants(List<PolicyRule> rules, Request r) {
        return rules.stream().anyMatch(rule -> matches(rule.getApiGroups(), r.group())
                && matches(rule.getResources(), r.resource()) && matches(rule.getVerbs(), r.verb()));
    }

    private static boolean matches(List<String> granted, String wanted) {
        return granted != null && (granted.contains("*") || granted.contains(wanted));
    }
}
