package dev.tuneforge.deploy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a set of NetworkPolicies lets through, computed as the Kubernetes API defines it: a pod that some policy
 * selects for a direction is isolated in that direction, and then only what one of those policies' rules allows
 * passes; a connection needs both the source's egress and the destination's ingress. Ports are numbers (a named
 * port is refused, so a policy cannot silently miss), {@code endPort} a range, protocol TCP unless said. An
 * {@code ipBlock} matches endpoints outside the pod network only (none of the pods here listens on the ports
 * the ipBlocks open). Only the policies' own namespace is isolated: endpoints elsewhere are not.
 */
final class Reachability {

    /** A pod (or, with {@code ip}, an address outside the pod network) and the ports it listens on. */
    record Endpoint(String name, String namespace, Map<String, String> labels, boolean ip, List<String> ports) {
    }

    private final String namespace;
    private final List<Manifest> policies;

    Reachability(String namespace, List<Manifest> policies) {
        this.namespace = namespace;
        this.policies = policies;
    }

    /** Every {@code from -> to:port/protocol} allowed, among the endpoints, for each port the destination has. */
    Set<String> flows(List<Endpoint> endpoints) {
        Set<String> flows = new TreeSet<>();
        for (Endpoint from : endpoints) {
            for (Endpoint to : endpoints) {
                if (outside(from) && outside(to)) {
                    continue; // neither is ours to isolate
                }
                for (String port : to.ports()) {
                    if (allowed(from, to, port, "Egress") && allowed(to, from, port, "Ingress")) {
                        flows.add(from.name() + " -> " + to.name() + ":" + port);
                    }
                }
            }
        }
        return flows;
    }

    private boolean outside(Endpoint e) {
        return e.ip() || !e.namespace().equals(namespace);
    }

    /**
     * Whether {@code subject}'s policies of this direction let it talk with {@code peer} on {@code port}: its
     * egress to the peer, or its ingress from the peer.
     */
    private boolean allowed(Endpoint subject, Endpoint peer, String port, String direction) {
        if (outside(subject)) {
            return true;
        }
        boolean isolated = false;
        for (Manifest policy : policies) {
            List<?> types = (List<?>) policy.at("spec", "policyTypes");
            if (!types.contains(direction) || !selects(policy.at("spec", "podSelector"), subject.labels())) {
                continue;
            }
            isolated = true;
            String rulesField = direction.equals("Ingress") ? "ingress" : "egress";
            String peersField = direction.equals("Ingress") ? "from" : "to";
            for (Map<String, Object> rule : Manifest.maps(policy.tree(), "spec", rulesField)) {
                if (peerMatches(rule.get(peersField), peer) && portMatches(rule.get("ports"), port, policy)) {
                    return true;
                }
            }
        }
        return !isolated;
    }

    private boolean peerMatches(Object peers, Endpoint peer) {
        if (peers == null) {
            return true;
        }
        for (Object p : (List<?>) peers) {
            Map<?, ?> rule = (Map<?, ?>) p;
            if (rule.get("ipBlock") != null) {
                if (peer.ip()) {
                    return true;
                }
                continue;
            }
            if (peer.ip()) {
                continue;
            }
            Object ns = rule.get("namespaceSelector");
            boolean nsMatches = ns == null ? peer.namespace().equals(namespace)
                    : selects(ns, Map.of("kubernetes.io/metadata.name", peer.namespace()));
            Object pods = rule.get("podSelector");
            if (nsMatches && (pods == null || selects(pods, peer.labels()))) {
                return true;
            }
        }
        return false;
    }

    private static boolean portMatches(Object ports, String port, Manifest policy) {
        if (ports == null) {
            return true;
        }
        String[] numberAndProtocol = port.split("/");
        int number = Integer.parseInt(numberAndProtocol[0]);
        for (Object p : (List<?>) ports) {
            Map<?, ?> rule = (Map<?, ?>) p;
            String protocol = rule.get("protocol") == null ? "TCP" : (String) rule.get("protocol");
            if (!(rule.get("port") instanceof Integer from)) {
                throw new IllegalArgumentException(policy.id() + ": port " + rule.get("port") + " is not a number");
            }
            int to = rule.get("endPort") instanceof Integer end ? end : from;
            if (protocol.equals(numberAndProtocol[1]) && number >= from && number <= to) {
                return true;
            }
        }
        return false;
    }

    /** A label selector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist); empty selects all. */
    static boolean selects(Object selector, Map<String, String> labels) {
        if (selector == null) {
            return true;
        }
        Map<?, ?> s = (Map<?, ?>) selector;
        if (s.get("matchLabels") instanceof Map<?, ?> match) {
            for (Map.Entry<?, ?> e : match.entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (s.get("matchExpressions") instanceof List<?> expressions) {
            for (Object o : expressions) {
                Map<?, ?> e = (Map<?, ?>) o;
                String value = labels.get(e.get("key"));
                List<?> values = e.get("values") == null ? List.of() : (List<?>) e.get("values");
                boolean ok = switch ((String) e.get("operator")) {
                    case "In" -> value != null && values.contains(value);
                    case "NotIn" -> value == null || !values.contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new IllegalArgumentException("operator " + e.get("operator"));
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }
}
