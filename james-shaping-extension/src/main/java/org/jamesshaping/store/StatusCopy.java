package org.jamesshaping.store;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The last good copy of the operator statuses on local disk, written each time they are read from MongoDB (and set
 * or removed here), so that a James started while MongoDB is down enforces them. Written to a temporary file then
 * renamed over the copy: a crash mid-write leaves the previous copy whole.
 */
final class StatusCopy {
    private static final Logger LOGGER = LoggerFactory.getLogger(StatusCopy.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    StatusCopy(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Writes the entries; a failure is logged, never thrown: the copy is a fallback, MongoDB stays the truth. */
    synchronized void save(Collection<ManualStatusTable.Entry> entries) {
        ArrayNode array = JSON.createArrayNode();
        for (ManualStatusTable.Entry entry : entries) {
            ManualStatus status = entry.status;
            ObjectNode node = array.addObject()
                .put("key", entry.key.id())
                .put("status", status.value().asString())
                .put("reason", status.reason())
                .put("setAt", status.setAt().toString())
                .put("setBy", status.setBy());
            status.pinnedClass().ifPresent(level -> node.put("class", level));
            status.expiresAt().ifPresent(at -> node.put("expiresAt", at.toString()));
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(temporary.toFile(), array);
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOGGER.warn("Could not write the local copy of the operator statuses to {}: {}", file, e.toString());
        }
    }

    /** The entries of the copy, empty when there is none; entries it cannot read are skipped and logged. */
    List<ReputationRecord> load() {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        JsonNode array;
        try {
            array = JSON.readTree(file.toFile());
        } catch (IOException e) {
            LOGGER.warn("Could not read the local copy of the operator statuses {}: {}", file, e.toString());
            return List.of();
        }
        List<ReputationRecord> records = new ArrayList<>();
        for (JsonNode node : array) {
            try {
                ReputationKey key = ReputationKey.parse(node.path("key").asText());
                ManualStatus status = new ManualStatus(ManualStatus.Value.parse(node.path("status").asText()),
                    node.path("class").asInt(-1), node.path("reason").asText(null),
                    Instant.parse(node.path("setAt").asText()),
                    node.hasNonNull("expiresAt") ? Optional.of(Instant.parse(node.get("expiresAt").asText())) : Optional.empty(),
                    node.path("setBy").asText(null));
                records.add(new ReputationRecord(key, Tally.empty(), Optional.of(status), Set.of()));
            } catch (RuntimeException e) {
                LOGGER.warn("Skipping an unreadable entry of {}: {}", file, e.toString());
            }
        }
        return records;
    }
}
