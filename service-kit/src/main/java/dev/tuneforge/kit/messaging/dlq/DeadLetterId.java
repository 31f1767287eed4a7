package dev.tuneforge.kit.messaging.dlq;

import dev.tuneforge.events.Topics;

/**
 * Where a dead letter is: {@code <dlq topic>:<partition>:<offset>}, e.g. {@code tuneforge.datasets.dlq:0:17}. Only
 * the dead-letter twins of the platform's topics are dead-letter topics.
 */
public record DeadLetterId(String topic, int partition, long offset) {

    public static DeadLetterId parse(String id) {
        String[] parts = id == null ? new String[0] : id.split(":");
        if (parts.length != 3) {
            throw DeadLetterException.invalid("'" + id + "' is not a dead letter id (<dlq topic>:<partition>:<offset>,"
                    + " as `list` prints them)");
        }
        try {
            DeadLetterId parsed = new DeadLetterId(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
            if (!Topics.MAIN.stream().map(Topics::dlq).toList().contains(parsed.topic())) {
                throw DeadLetterException.notFound("'" + parsed.topic() + "' is not a dead-letter topic; they are "
                        + Topics.MAIN.stream().map(Topics::dlq).toList());
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw DeadLetterException.invalid("'" + id + "' is not a dead letter id: partition and offset are numbers");
        }
    }

    @Override
    public String toString() {
        return topic + ":" + partition + ":" + offset;
    }
}
