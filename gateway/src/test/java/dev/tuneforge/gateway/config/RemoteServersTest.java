package dev.tuneforge.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RemoteServersTest {

    @Test
    void entriesAreBaseModelEqualsUrlSeparatedByCommas() {
        assertEquals(Map.of("tiny-llama", "http://serve-tiny-llama:8000", "llama-3-8b", "https://serve-8b.gpu:8443"),
                RemoteServers.parse(" tiny-llama=http://serve-tiny-llama:8000 ,llama-3-8b=https://serve-8b.gpu:8443,"));
        assertEquals(Map.of(), RemoteServers.parse(""));
    }

    @Test
    void anEntryThatIsNoBaseModelAndHttpUrlIsAnErrorNamingIt() {
        assertEquals("tuneforge.serving.remote-servers: 'tiny-llama:8000' is not <base model>=<http(s) URL>",
                assertThrows(IllegalArgumentException.class,
                        () -> RemoteServers.parse("a=http://x:1,tiny-llama:8000")).getMessage());
        assertEquals("tuneforge.serving.remote-servers: 'tiny-llama=serve-tiny-llama:8000' is not <base model>=<http(s)"
                        + " URL>",
                assertThrows(IllegalArgumentException.class,
                        () -> RemoteServers.parse("tiny-llama=serve-tiny-llama:8000")).getMessage());
        assertEquals("tuneforge.serving.remote-servers: base model 'a' is named twice",
                assertThrows(IllegalArgumentException.class,
                        () -> RemoteServers.parse("a=http://x:1,a=http://y:2")).getMessage());
    }
}
