package org.jamesshaping.bench.filter;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.jamesshaping.admin.cli.MessageFolders;
import org.jamesshaping.bench.Stats;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.fingerprint.Fingerprint;
import org.jamesshaping.filter.fingerprint.FingerprintIndex;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.fingerprint.SpamSignature;
import org.jamesshaping.testsupport.CorpusCache;
import org.jamesshaping.testsupport.SpamMutator;

/**
 * The fingerprint filter's figures: one copy of each spam reported, then how many generated variants of them match
 * (three per kind of mutation), how many ham match any signature, and the fingerprint-and-lookup throughput.
 */
final class FingerprintFigures {
    private FingerprintFigures() {
    }

    static void run(List<CorpusCache.CorpusMessage> corpus) throws Exception {
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        Fingerprinter fingerprinter = new Fingerprinter();
        double threshold = 0.5;
        List<SpamSignature> signatures = new ArrayList<>();
        List<MessageContent> reported = new ArrayList<>();
        int spam = 0;
        for (CorpusCache.CorpusMessage message : corpus) {
            if (!message.spam()) {
                continue;
            }
            spam++;
            MessageContent content = extractor.extract(MessageFolders.stripEnvelopeLine(message.raw()));
            Optional<Fingerprint> fingerprint = fingerprinter.fingerprint(content);
            if (fingerprint.isPresent()) {
                signatures.add(new SpamSignature(fingerprint.get(), SpamSignature.Source.OPERATOR_REPORT, 0, null, null));
                reported.add(content);
            }
        }
        FingerprintIndex index = FingerprintIndex.of(signatures);
        System.out.printf("Fingerprint filter: reported one copy of each of %d spam (%d fingerprinted; %d too short or empty)%n",
            spam, reported.size(), spam - reported.size());
        SpamMutator mutator = new SpamMutator(2024);
        Map<SpamMutator.Kind, int[]> byKind = new EnumMap<>(SpamMutator.Kind.class);
        long start = System.nanoTime();
        int lookups = 0;
        for (MessageContent content : reported) {
            for (SpamMutator.Kind kind : SpamMutator.Kind.values()) {
                for (int copy = 0; copy < 3; copy++) {
                    byte[] variant = mutator.mutate("Special offer", content.bodyText(), kind);
                    Optional<Fingerprint> fingerprint = fingerprinter.fingerprint(extractor.extract(variant));
                    int[] counts = byKind.computeIfAbsent(kind, ignored -> new int[2]);
                    counts[1]++;
                    lookups++;
                    if (fingerprint.isPresent() && index.bestMatch(fingerprint.get(), threshold).isPresent()) {
                        counts[0]++;
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.println("| mutation           | variants matching |");
        System.out.println("|--------------------|-------------------|");
        int matched = 0;
        int total = 0;
        for (Map.Entry<SpamMutator.Kind, int[]> entry : byKind.entrySet()) {
            int[] counts = entry.getValue();
            matched += counts[0];
            total += counts[1];
            System.out.printf(Locale.ROOT, "| %-18s | %5d/%d (%.2f%%) |%n", entry.getKey().name().toLowerCase(Locale.ROOT), counts[0],
                counts[1], Stats.percent(counts[0], counts[1]));
        }
        System.out.printf(Locale.ROOT, "| %-18s | %5d/%d (%.2f%%) |%n", "total", matched, total, Stats.percent(matched, total));
        int hamMessages = 0;
        int hamFingerprinted = 0;
        int hamMatches = 0;
        for (CorpusCache.CorpusMessage message : corpus) {
            if (message.spam()) {
                continue;
            }
            hamMessages++;
            Optional<Fingerprint> fingerprint = fingerprinter.fingerprint(extractor.extract(MessageFolders.stripEnvelopeLine(message.raw())));
            if (fingerprint.isPresent()) {
                hamFingerprinted++;
                if (index.bestMatch(fingerprint.get(), threshold).isPresent()) {
                    hamMatches++;
                    System.out.println("  ham matching a spam signature: " + message.path());
                }
            }
        }
        System.out.printf(Locale.ROOT, "Ham matching any spam signature: %d of %d ham (%d fingerprinted)%n", hamMatches, hamMessages,
            hamFingerprinted);
        System.out.printf(Locale.ROOT, "Fingerprint + lookup throughput (variants, 1 core): %,.0f msgs/s%n", lookups / seconds);
    }
}
