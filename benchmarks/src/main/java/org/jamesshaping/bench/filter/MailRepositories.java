package org.jamesshaping.bench.filter;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import org.jamesshaping.bench.shaping.JamesChild;
import org.jamesshaping.filter.mailet.AutoLearn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The mail James kept in its mail repositories, read back through WebAdmin with headers and attributes. */
final class MailRepositories {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JamesChild james;

    MailRepositories(JamesChild james) {
        this.james = james;
    }

    /** Every mail of a repository, with the additional fields asked; raw messages saved into {@code saveRawTo} when given. */
    List<JsonNode> mails(String repository, String fields, Function<JsonNode, Path> saveRawTo) throws Exception {
        String base = "/mailRepositories/" + URLEncoder.encode(repository, StandardCharsets.UTF_8) + "/mails";
        String[] keys = james.webAdmin("GET", base + "?limit=100000", null);
        if ("404".equals(keys[0])) {
            return List.of();
        }
        List<JsonNode> mails = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<JsonNode>> pending = new ArrayList<>();
            for (JsonNode key : JSON.readTree(keys[1])) {
                String path = base + "/" + URLEncoder.encode(key.asText(), StandardCharsets.UTF_8);
                pending.add(pool.submit(() -> {
                    JsonNode mail = JSON.readTree(james.webAdmin("GET", path + "?additionalFields=" + fields, null)[1]);
                    Path target = saveRawTo == null ? null : saveRawTo.apply(mail);
                    if (target != null) {
                        Files.write(target, james.webAdminBytes(path, "message/rfc822"));
                    }
                    return mail;
                }));
            }
            for (Future<JsonNode> mail : pending) {
                mails.add(mail.get());
            }
        } finally {
            pool.shutdown();
        }
        return mails;
    }

    /** The AutoLearn mailet's outcome from a mail's attributes, or "not learned (no trusted signal)" when it has none. */
    static String autolearnOutcome(JsonNode attributes) {
        String text = attributes.toString();
        int at = text.indexOf("org.jamesshaping.filter.autolearn");
        if (at < 0) {
            return "not learned (no trusted signal)";
        }
        String rest = text.substring(at, Math.min(text.length(), at + 200));
        for (String outcome : List.of(AutoLearn.KNOWN_SPAM_OUTCOME, "over-sender-limit", "over-network-limit", "queued", "failed")) {
            if (rest.contains(outcome)) {
                return outcome;
            }
        }
        return rest;
    }

    /** The first value of a header of a mail WebAdmin returned, or "". */
    static String header(JsonNode mail, String name) {
        JsonNode headers = mail.path("headers");
        for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getKey().equalsIgnoreCase(name)) {
                JsonNode value = entry.getValue();
                return (value.isArray() ? value.get(0).asText() : value.asText()).trim();
            }
        }
        return "";
    }
}
