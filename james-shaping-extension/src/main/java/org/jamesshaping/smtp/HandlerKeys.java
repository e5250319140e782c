package org.jamesshaping.smtp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.jamesshaping.runtime.KnownKeys;
import org.jamesshaping.scoring.ScoringConfigReader;
import org.jamesshaping.shaping.ShapingPolicy;
import org.slf4j.LoggerFactory;

/** Warnings at start for the elements of the extension's {@code <handler>} blocks in smtpserver.xml that nothing reads. */
final class HandlerKeys {
    private HandlerKeys() {
    }

    /** The element names directly under a node; attributes (James's own {@code class}, a class's {@code level}) left out. */
    static List<String> elements(Configuration config) {
        Set<String> names = new LinkedHashSet<>();
        config.getKeys().forEachRemaining(key -> {
            int end = key.length();
            for (int i = 0; i < key.length(); i++) {
                if (key.charAt(i) == '.' || key.charAt(i) == '[') {
                    end = i;
                    break;
                }
            }
            if (end > 0) {
                names.add(key.substring(0, end));
            }
        });
        return new ArrayList<>(names);
    }

    static List<String> warnUnknown(Class<?> handler, Configuration config, Collection<String> known) {
        return new KnownKeys(where(handler), known).warnUnknown(LoggerFactory.getLogger(handler), elements(config));
    }

    /** TrafficShaper's own elements, those of each {@code <class>} and of its {@code <reputation>} block. */
    static List<String> warnTrafficShaper(HierarchicalConfiguration<ImmutableNode> handler) {
        List<String> warnings = new ArrayList<>(warnUnknown(TrafficShaper.class, handler, ShapingPolicy.HANDLER_KEYS));
        for (HierarchicalConfiguration<ImmutableNode> block : handler.configurationsAt("class")) {
            warnings.addAll(new KnownKeys(where(TrafficShaper.class) + " <class level=\"" + block.getString("[@level]", "") + "\">",
                ShapingPolicy.CLASS_KEYS).warnUnknown(LoggerFactory.getLogger(TrafficShaper.class), elements(block)));
        }
        for (HierarchicalConfiguration<ImmutableNode> block : handler.configurationsAt("reputation")) {
            warnings.addAll(new KnownKeys(where(TrafficShaper.class) + " <reputation>", ScoringConfigReader.REPUTATION_BLOCK_KEYS)
                .warnUnknown(LoggerFactory.getLogger(TrafficShaper.class), elements(block)));
        }
        return warnings;
    }

    private static String where(Class<?> handler) {
        return "smtpserver.xml <handler class=\"" + handler.getName() + "\">";
    }
}
