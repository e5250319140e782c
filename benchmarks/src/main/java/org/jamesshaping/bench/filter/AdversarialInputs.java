package org.jamesshaping.bench.filter;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.jamesshaping.admin.cli.MessageFolders;
import org.jamesshaping.bench.Stats;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.predictive.FeatureExtractor;
import org.jamesshaping.testsupport.CorpusCache;

/**
 * What a message of one long line costs the content filters, against the corpus's messages in the same run: both
 * filters' work as the mailets do it (parse, extract, fingerprint, hash features), one thread. "Before" is the
 * link-and-address expression the normaliser used to run, timed alone on the same text.
 */
final class AdversarialInputs {
    /** The expression the normaliser's scan replaced: quadratic on long runs of non-space characters. */
    private static final Pattern OLD_URL_OR_ADDRESS = Pattern.compile(
        "(?i)(?:https?://|ftp://|www\\.)\\S+|\\S+@\\S+|\\b[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.(?:com|net|org|biz|info|ru|cn|de|uk)\\b\\S*");
    private static final int[] SIZES_KB = {25, 50, 100, 200};
    private static final int RUNS = 7;

    private final ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
    private final Fingerprinter fingerprinter = new Fingerprinter();
    private final FeatureExtractor features = new FeatureExtractor(22);

    private AdversarialInputs() {
    }

    static void run(List<CorpusCache.CorpusMessage> corpus, int beforeMaxKb) throws Exception {
        new AdversarialInputs().report(corpus, beforeMaxKb);
    }

    /** A text/plain part in base64 whose decoded text is one line of {@code unit} repeated to {@code bytes}. */
    static byte[] singleLineMessage(String unit, int bytes) {
        String text = unit.repeat(bytes / unit.length() + 1).substring(0, bytes);
        String body = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(text.getBytes(StandardCharsets.US_ASCII));
        return ("From: <sender@example.org>\r\nTo: <rcpt@example.com>\r\nSubject: one line\r\nMessage-ID: <1@example.org>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + body + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private long pipelineNanos(byte[] raw) throws Exception {
        long start = System.nanoTime();
        MessageContent content = extractor.extract(raw);
        fingerprinter.fingerprint(content);
        features.features(content);
        return System.nanoTime() - start;
    }

    private static long oldExpressionNanos(String text) {
        long start = System.nanoTime();
        String compatible = Normalizer.normalize(text, Normalizer.Form.NFKC);
        for (String line : compatible.split("\\R")) {
            OLD_URL_OR_ADDRESS.matcher(line).replaceAll(" ");
        }
        return System.nanoTime() - start;
    }

    private void report(List<CorpusCache.CorpusMessage> corpus, int beforeMaxKb) throws Exception {
        List<byte[]> normal = new ArrayList<>();
        corpus.forEach(message -> normal.add(MessageFolders.stripEnvelopeLine(message.raw())));
        // Warm-up: the JIT compiles the pipeline before anything is timed.
        for (int round = 0; round < 2; round++) {
            for (byte[] raw : normal) {
                pipelineNanos(raw);
            }
            pipelineNanos(singleLineMessage("x", 200 * 1024));
        }
        double[] baseline = new double[RUNS];
        for (int run = 0; run < RUNS; run++) {
            long total = 0;
            for (byte[] raw : normal) {
                total += pipelineNanos(raw);
            }
            baseline[run] = total / 1e6 / normal.size();
        }
        System.out.println();
        System.out.println("Adversarial input: one line of a repeated unit in a base64 text/plain part (ms per message, 1 thread;");
        System.out.printf(Locale.ROOT, "after: median of %d runs [min-max]; before: the old expression alone, one run, up to %d KB)%n", RUNS, beforeMaxKb);
        System.out.printf(Locale.ROOT, "Normal message baseline (mean over %d corpus messages): %s ms%n", normal.size(), spread(baseline));
        System.out.println("| unit | size | before: old expression (ms) | after: both filters (ms) | after / baseline |");
        System.out.println("|------|------|-----------------------------|--------------------------|------------------|");
        for (String unit : List.of("x", "a@", ".", "http://a.")) {
            for (int kb : SIZES_KB) {
                byte[] raw = singleLineMessage(unit, kb * 1024);
                double[] after = new double[RUNS];
                for (int run = 0; run < RUNS; run++) {
                    after[run] = pipelineNanos(raw) / 1e6;
                }
                String before = "not run";
                if (kb <= beforeMaxKb && unit.equals("x")) {
                    before = String.format(Locale.ROOT, "%,.0f", oldExpressionNanos(extractor.extract(raw).bodyText()) / 1e6);
                }
                System.out.printf(Locale.ROOT, "| `%s` | %d KB | %s | %s | %.1fx |%n", unit, kb, before, spread(after),
                    Stats.median(after) / Stats.median(baseline));
            }
        }
    }

    private static String spread(double[] values) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (double value : values) {
            min = Math.min(min, value);
            max = Math.max(max, value);
        }
        return String.format(Locale.ROOT, "%.2f [%.2f-%.2f]", Stats.median(values), min, max);
    }
}
