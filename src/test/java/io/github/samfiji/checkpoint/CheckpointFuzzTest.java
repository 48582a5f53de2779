package io.github.samfiji.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated checkpoints ({@link CheckpointFuzz}) either load or are refused cleanly: within a few seconds, with a
 * CheckpointException whose message is short, names the file and holds no Java class name; never another Throwable
 * (no OutOfMemoryError, StackOverflowError or raw runtime exception). Where a .pth case loads, PyTorch's
 * {@code torch.load(weights_only=True)} must have loaded the same tensors: {@code fuzz/oracle.json} holds its
 * answers for the first cases (made with Debian's python3-torch 1.13 by {@code fuzz/oracle.py}).
 */
class CheckpointFuzzTest {

    /** Cases in the oracle table (made by CheckpointFuzz.main with this count). */
    static final int ORACLE_CASES = 1000;

    @TempDir
    Path temp;

    @Test
    void mutatedCheckpointsLoadAsPyTorchDoesOrAreRefusedCleanly() throws Exception {
        run(Integer.getInteger("fuzz.cases", 300));
    }

    @Test
    @Tag("slow")
    void thousandsOfMutatedCheckpoints() throws Exception {
        run(Integer.getInteger("fuzz.slow.cases", 3000));
    }

    private void run(int cases) throws Exception {
        JsonObject oracle;
        try (Reader r = new InputStreamReader(getClass().getResourceAsStream("/fuzz/oracle.json"),
                StandardCharsets.UTF_8)) {
            oracle = JsonParser.parseReader(r).getAsJsonObject();
        }
        CheckpointFuzz fuzz = new CheckpointFuzz();
        List<String> problems = new ArrayList<>();
        int loaded = 0;
        int refused = 0;
        int checkedAgainstTorch = 0;
        for (int n = 0; n < cases; n++) {
            CheckpointFuzz.Case c = fuzz.make(n);
            Path file = Files.write(temp.resolve("case-" + n + c.suffix()), c.bytes());
            String what = "case " + n + " (" + c.description() + ")";
            Object outcome;
            try {
                outcome = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                    try {
                        return StateDict.load(file);
                    } catch (CheckpointException e) {
                        return e;
                    }
                }, what + " took over 10 s");
            } catch (Throwable t) {
                if (t instanceof org.opentest4j.AssertionFailedError timeout) {
                    problems.add(timeout.getMessage());
                } else {
                    problems.add(what + ": " + t.getClass().getSimpleName() + " " + t.getMessage());
                }
                continue;
            }
            if (outcome instanceof CheckpointException e) {
                refused++;
                String message = e.getMessage();
                if (message.length() > 400 || !message.contains(file.getFileName().toString())
                        || message.contains("Exception") || message.contains("java.") || message.contains("\n")) {
                    problems.add(what + ": unclear message: " + message);
                }
                continue;
            }
            loaded++;
            StateDict dict = (StateDict) outcome;
            JsonObject torch = oracle.has(Integer.toString(n)) ? oracle.getAsJsonObject(Integer.toString(n)) : null;
            if (torch != null) {
                checkedAgainstTorch++;
                if (!"ok".equals(torch.get("torch").getAsString())) {
                    problems.add(what + ": loaded, but PyTorch refuses it (" + torch.get("error").getAsString() + ")");
                } else if (!digest(dict).equals(torch.get("digest").getAsString())) {
                    problems.add(what + ": loaded tensors that differ from PyTorch's");
                }
            }
            Files.delete(file);
        }
        System.out.printf("fuzz: %d cases, %d loaded (%d checked against PyTorch), %d refused, %d problem(s)%n", cases,
                loaded, checkedAgainstTorch, refused, problems.size());
        assertEquals(List.of(), problems.subList(0, Math.min(20, problems.size())), problems.size() + " problem(s)");
    }

    /** As oracle.py: SHA-256 of "name TAB sha256(bytes) NEWLINE" per tensor, in sorted name order. */
    private static String digest(StateDict dict) throws NoSuchAlgorithmException {
        Map<String, String> hashes = new TreeMap<>();
        for (Map.Entry<String, TensorData> e : dict.entries()) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(e.getValue().data().duplicate());
            hashes.put(e.getKey(), HexFormat.of().formatHex(sha.digest()));
        }
        StringBuilder lines = new StringBuilder();
        hashes.forEach((name, hash) -> lines.append(name).append('\t').append(hash).append('\n'));
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(lines.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
