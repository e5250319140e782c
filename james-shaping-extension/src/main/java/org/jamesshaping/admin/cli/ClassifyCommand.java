package org.jamesshaping.admin.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

import javax.mail.MessagingException;

import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.predictive.ModelCodec;
import org.jamesshaping.filter.predictive.PredictiveModel;
import org.jamesshaping.filter.predictive.PredictiveModelStore;

import com.mongodb.client.MongoClient;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code james-shaping filter classify}: scores messages as the predictive mailet does, as fast as a command can. */
@Command(name = "classify", mixinStandardHelpOptions = true,
    description = "Scores messages with the model the mailet uses; prints path<TAB>score<TAB>spam|ham.")
final class ClassifyCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", description = "Messages, folders, maildirs or mbox files")
    List<Path> paths;

    @Option(names = "--model", description = "Model file (default: the current model in MongoDB, see --mongo-uri)")
    Path modelFile;

    @CommandLine.Mixin
    FilterTool.Store store = new FilterTool.Store();

    @Option(names = "--threads", description = "Messages scored in parallel (default: the number of cores)")
    Integer threads;

    /** Messages a worker takes at a time: small enough that both cores stay busy to the end, in the order given. */
    static final int CHUNK = 64;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (workers < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1");
        }
        if (modelFile == null && store.mongoUri == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --model FILE or --mongo-uri URI");
        }
        ExecutorService pool = Executors.newFixedThreadPool(workers, runnable -> {
            Thread thread = new Thread(runnable, "classify");
            thread.setDaemon(true);
            return thread;
        });
        try {
            // The model loads on a thread of its own while the messages are read and parsed, which does not need it.
            FutureTask<PredictiveModel> loading = new FutureTask<>(this::loadModel);
            Thread loader = new Thread(loading, "model-load");
            loader.setDaemon(true);
            loader.start();
            ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
            List<Future<String[]>> chunks = new ArrayList<>();
            List<MessageFolders.RawMessage> chunk = new ArrayList<>(CHUNK);
            for (Path path : paths) {
                for (MessageFolders.RawMessage message : MessageFolders.read(path)) {
                    chunk.add(message);
                    if (chunk.size() == CHUNK) {
                        chunks.add(submit(pool, chunk, loading, extractor));
                        chunk = new ArrayList<>(CHUNK);
                    }
                }
            }
            if (!chunk.isEmpty()) {
                chunks.add(submit(pool, chunk, loading, extractor));
            }
            if (chunks.isEmpty()) {
                unwrap(loading);
            }
            int failures = 0;
            // A chunk's lines at a time: println flushes the console at each line, a system call per message.
            StringBuilder text = new StringBuilder();
            for (Future<String[]> part : chunks) {
                text.setLength(0);
                for (String line : unwrap(part)) {
                    failures += line.endsWith("\tnot-run") ? 1 : 0;
                    text.append(line).append(System.lineSeparator());
                }
                out.print(text);
            }
            out.flush();
            return failures == 0 ? 0 : 1;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Future<String[]> submit(ExecutorService pool, List<MessageFolders.RawMessage> messages,
                                           Future<PredictiveModel> model, ContentExtractor extractor) {
        return pool.submit(() -> classify(messages, model, extractor));
    }

    private static String[] classify(List<MessageFolders.RawMessage> messages, Future<PredictiveModel> loading,
                                     ContentExtractor extractor) throws Exception {
        MessageContent[] contents = new MessageContent[messages.size()];
        for (int i = 0; i < contents.length; i++) {
            try {
                contents[i] = extractor.extract(messages.get(i).bytes());
            } catch (MessagingException | RuntimeException e) {
                contents[i] = null;
            }
        }
        PredictiveModel model = unwrap(loading);
        org.jamesshaping.filter.predictive.FeatureExtractor features = model.featureExtractor();
        String[] lines = new String[contents.length];
        for (int i = 0; i < lines.length; i++) {
            String origin = messages.get(i).origin();
            try {
                if (contents[i] != null) {
                    double score = model.score(features.features(contents[i]));
                    lines[i] = origin + "\t" + fourDecimals(score) + "\t" + (model.isSpam(score) ? "spam" : "ham");
                    continue;
                }
            } catch (RuntimeException e) {
                // reported as not-run below
            }
            lines[i] = origin + "\tNaN\tnot-run";
        }
        return lines;
    }

    /**
     * What {@code String.format(Locale.ROOT, "%.4f", score)} prints, without the Formatter: its first use loads
     * the locale data, a noticeable part of a short run.
     */
    static String fourDecimals(double score) {
        if (Double.isNaN(score) || Double.isInfinite(score)) {
            return String.format(Locale.ROOT, "%.4f", score);
        }
        // Formatter rounds half up from the shortest decimal that reads back as the double, as Double.toString does.
        return new BigDecimal(Double.toString(score)).setScale(4, RoundingMode.HALF_UP).toPlainString();
    }

    private static <T> T unwrap(Future<T> future) throws Exception {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }

    private PredictiveModel loadModel() throws IOException {
        if (modelFile != null) {
            return ModelCodec.readFile(modelFile);
        }
        try (MongoClient client = store.connection().open()) {
            PredictiveModelStore models = new PredictiveModelStore(client.getDatabase(store.database)
                .getCollection(PredictiveModelStore.COLLECTION));
            Optional<String> version = models.currentVersion();
            if (version.isEmpty()) {
                throw new IOException("no model in MongoDB yet: run 'filter train' first");
            }
            return models.load(version.get());
        }
    }
}
