package org.jamesshaping.admin.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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

import org.jamesshaping.filter.ContentReports;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.fingerprint.FingerprintStore;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.fingerprint.SpamSignature;
import org.jamesshaping.filter.predictive.IncrementalLearner;
import org.jamesshaping.filter.predictive.ModelCodec;
import org.jamesshaping.filter.predictive.ModelTrainer;
import org.jamesshaping.filter.predictive.PredictiveModel;
import org.jamesshaping.filter.predictive.PredictiveModelStore;
import org.jamesshaping.filter.predictive.ReportLearner;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.store.MongoConnection;

import com.mongodb.client.MongoClient;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code james-shaping filter train|classify|report-spam|report-ham|learn}: the content filters' command-line tool. */
@Command(name = "filter", mixinStandardHelpOptions = true, description = "Train, run and feed the content filters.",
    subcommands = {FilterTool.Train.class, FilterTool.Classify.class, FilterTool.ReportSpam.class,
        FilterTool.ReportHam.class, FilterTool.Learn.class, FilterTool.Retrain.class})
public final class FilterTool implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the tool and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new FilterTool());
        commandLine.setOut(out);
        commandLine.setErr(err);
        return commandLine.execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    static final class Store {
        @Option(names = "--mongo-uri", description = "MongoDB holding the shared store, e.g. mongodb://127.0.0.1:27017")
        String mongoUri;

        @Option(names = "--database", defaultValue = MongoConnection.DEFAULT_DATABASE, description = "Database (default: ${DEFAULT-VALUE})")
        String database;

        MongoConnection connection() {
            return new MongoConnection(mongoUri, database, Duration.ofSeconds(30));
        }

        /** The store given, or a MongoDB on this machine's default port. */
        MongoConnection connectionOrDefault() {
            return new MongoConnection(mongoUri == null ? MongoConnection.DEFAULT_URI : mongoUri, database, Duration.ofSeconds(30));
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains the predictive model on folders of raw messages (mbox, maildir, .eml/.txt files).")
    static final class Train implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--spam", arity = "1..*", required = true, description = "Spam folders or files")
        List<Path> spam;

        @Option(names = "--ham", arity = "1..*", required = true, description = "Ham folders or files")
        List<Path> ham;

        @Option(names = "--model", description = "Write the model to this file")
        Path modelFile;

        @CommandLine.Mixin
        Threshold threshold = new Threshold();

        @CommandLine.Mixin
        Store store = new Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if ((modelFile == null) == (store.mongoUri == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --model FILE or --mongo-uri URI");
            }
            threshold.check(spec);
            PrintWriter err = spec.commandLine().getErr();
            long started = System.nanoTime();
            ProgressLine reading = new ProgressLine(err, "reading", "messages");
            List<MessageFolders.RawMessage> spamMessages = readAll(spam, reading);
            List<MessageFolders.RawMessage> hamMessages = readAll(ham, reading);
            reading.done(String.format(Locale.ROOT, "read %,d spam and %,d ham", spamMessages.size(), hamMessages.size()));
            ModelTrainer plain = ModelTrainer.defaults();
            Examples examples = new Examples(new org.jamesshaping.filter.predictive.FeatureExtractor(plain.dimensionBits()));
            ProgressLine extracting = new ProgressLine(err, "extracting features", "messages");
            int total = spamMessages.size() + hamMessages.size();
            for (MessageFolders.RawMessage message : spamMessages) {
                examples.add(message, true);
                extracting.at(examples.list.size() + examples.unreadable, total);
            }
            for (MessageFolders.RawMessage message : hamMessages) {
                examples.add(message, false);
                extracting.at(examples.list.size() + examples.unreadable, total);
            }
            extracting.done(String.format(Locale.ROOT, "%,d messages, %,d unreadable", examples.list.size(), examples.unreadable));
            // Tuning trains one model on the earlier 70% (or four on 3/4 each, without dates), then the final one on all.
            long dated = examples.list.stream().filter(example -> example.sentAt() != null).count();
            double tuningShare = threshold.given != null ? 0 : dated >= 0.9 * examples.list.size() ? 0.7 : 3;
            long updates = plain.updatesFor((int) Math.ceil(tuningShare * examples.list.size())) + plain.updatesFor(examples.list.size());
            ProgressLine training = new ProgressLine(err, "training", "example updates");
            ModelTrainer trainer = plain.withProgress(done -> training.at(Math.min(done, updates), updates));
            PredictiveModel model = threshold.train(trainer, examples.list);
            training.done("done");
            out.printf(Locale.ROOT, "trained on %d spam and %d ham (%d unreadable skipped) in %.1f s: %,d distinct features "
                    + "(%,d weights not zero); threshold %.4f (%s)%n", model.spamCount(), model.hamCount(), examples.unreadable,
                (System.nanoTime() - started) / 1e9, examples.distinctFeatures(), model.nonZeroWeights(), model.threshold(),
                threshold.origin);
            if (modelFile != null) {
                ModelCodec.writeFile(model, modelFile);
                out.println("model written to " + modelFile);
            } else {
                try (MongoClient client = store.connection().open()) {
                    String version = new PredictiveModelStore(client.getDatabase(store.database)
                        .getCollection(PredictiveModelStore.COLLECTION)).save(model, Instant.now());
                    out.println("model " + version + " saved to MongoDB collection " + PredictiveModelStore.COLLECTION);
                }
            }
            return 0;
        }
    }

    /** The model's spam threshold: given, or tuned for a false-positive rate on later mail, plus a margin. */
    static final class Threshold {
        @Option(names = "--threshold", description = "Spam threshold stored with the model (default: tuned, see --target-fp-rate)")
        Double given;

        @Option(names = "--target-fp-rate", defaultValue = "" + ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE,
            description = "Tune the threshold on the training messages so that at most this fraction of their latest ham "
                + "is flagged (default: ${DEFAULT-VALUE}); needs " + ModelTrainer.MIN_EXAMPLES_PER_CLASS_FOR_TUNING
                + " spam and ham, else the threshold is " + PredictiveModel.DEFAULT_THRESHOLD)
        double targetFalsePositiveRate;

        @Option(names = "--threshold-margin", defaultValue = "" + ModelTrainer.DEFAULT_THRESHOLD_MARGIN,
            description = "Logits added to the tuned threshold, because later mail scores higher than held-out mail of the "
                + "training period (default: ${DEFAULT-VALUE})")
        double thresholdMargin;

        /** How the last threshold was chosen, for the summary line. */
        String origin = "";

        void check(CommandLine.Model.CommandSpec spec) {
            if (!(targetFalsePositiveRate >= 0 && targetFalsePositiveRate < 1)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--target-fp-rate must be in [0, 1)");
            }
        }

        PredictiveModel train(ModelTrainer trainer, List<ModelTrainer.Example> examples) {
            double chosen;
            if (given != null) {
                chosen = given;
                origin = "given";
            } else {
                Optional<ModelTrainer.Tuning> tuned = trainer.tune(examples, targetFalsePositiveRate, thresholdMargin);
                chosen = tuned.map(ModelTrainer.Tuning::threshold).orElse(PredictiveModel.DEFAULT_THRESHOLD);
                origin = tuned.map(tuning -> tuning.method().equals("time split")
                    ? String.format(Locale.ROOT, "tuned for %.2f%% false positives on the latest %d ham by date, scored by a model "
                        + "trained on the earlier mail, plus a margin of %.1f logits", 100 * targetFalsePositiveRate, tuning.heldOutHam(),
                        thresholdMargin)
                    : String.format(Locale.ROOT, "tuned by %d-fold cross-validation for %.2f%% held-out false positives (the "
                        + "messages are not dated enough for a time split), plus a margin of %.1f logits", ModelTrainer.TUNING_FOLDS,
                        100 * targetFalsePositiveRate, thresholdMargin))
                    .orElse("default: too few messages to tune");
            }
            return trainer.train(examples, chosen);
        }
    }

    @Command(name = "retrain", mixinStandardHelpOptions = true,
        description = "Trains a new shared model, with this version's features, on every report kept in MongoDB (pending "
            + "and applied), plus any folders given; for a new feature version, which leaves the filter at not-run until a "
            + "model of that version exists.")
    static final class Retrain implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--from-reports", required = true, description = "Train on the operator reports kept in MongoDB")
        boolean fromReports;

        @Option(names = "--spam", arity = "1..*", description = "Spam folders or files to add")
        List<Path> spam = List.of();

        @Option(names = "--ham", arity = "1..*", description = "Ham folders or files to add")
        List<Path> ham = List.of();

        @CommandLine.Mixin
        Threshold threshold = new Threshold();

        @CommandLine.Mixin
        Store store = new Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            threshold.check(spec);
            ModelTrainer trainer = ModelTrainer.defaults();
            Examples examples = new Examples(new org.jamesshaping.filter.predictive.FeatureExtractor(trainer.dimensionBits()));
            try (MongoClient client = store.connectionOrDefault().open()) {
                TrainingReports reports = trainingReports(client, store);
                List<String> pending = new ArrayList<>();
                int[] fromStore = new int[1];
                reports.forEachLearnable((report, raw) -> {
                    if (examples.add(raw, report.spam())) {
                        fromStore[0]++;
                        if (report.state() == TrainingReports.State.PENDING) {
                            pending.add(report.id());
                        }
                    }
                });
                for (Path path : spam) {
                    examples.add(path, true);
                }
                for (Path path : ham) {
                    examples.add(path, false);
                }
                if (examples.list.stream().noneMatch(ModelTrainer.Example::spam) || examples.list.stream().allMatch(ModelTrainer.Example::spam)) {
                    out.printf("%d reports kept: a model needs spam and ham; report some (filter report-spam|report-ham) or add "
                        + "--spam/--ham folders. Nothing saved.%n", fromStore[0]);
                    return 1;
                }
                out.printf("%d reports from MongoDB (%d pending), %d messages from folders%n", fromStore[0], pending.size(),
                    examples.list.size() - fromStore[0]);
                PredictiveModel model = threshold.train(trainer, examples.list);
                out.printf(Locale.ROOT, "trained on %d spam and %d ham (%d unreadable skipped); threshold %.4f (%s)%n",
                    model.spamCount(), model.hamCount(), examples.unreadable, model.threshold(), threshold.origin);
                Instant now = Instant.now();
                String version = new PredictiveModelStore(client.getDatabase(store.database)
                    .getCollection(PredictiveModelStore.COLLECTION)).save(model, now);
                long applied = reports.markApplied(pending, version, now);
                out.printf("model %s (feature version %d) saved to MongoDB collection %s; %d pending reports marked applied%n",
                    version, model.featureVersion(), PredictiveModelStore.COLLECTION, applied);
                return 0;
            }
        }
    }

    private static List<MessageFolders.RawMessage> readAll(List<Path> paths, ProgressLine progress) throws IOException {
        List<MessageFolders.RawMessage> messages = new ArrayList<>();
        for (Path path : paths) {
            messages.addAll(MessageFolders.read(path));
            progress.count(messages.size());
        }
        return messages;
    }

    @Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Scores messages with the model the mailet uses; prints path<TAB>score<TAB>spam|ham.")
    static final class Classify implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(arity = "1..*", description = "Messages, folders, maildirs or mbox files")
        List<Path> paths;

        @Option(names = "--model", description = "Model file (default: the current model in MongoDB, see --mongo-uri)")
        Path modelFile;

        @CommandLine.Mixin
        Store store = new Store();

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

    @Command(name = "report-spam", mixinStandardHelpOptions = true,
        description = {"Reports spam that got through: adds each message's fingerprint to the shared known-spam store "
            + "(when its body is long enough) and queues it for the predictive model to learn.",
            "Prints path<TAB>fingerprint id or skipped<TAB>training report id."})
    static final class ReportSpam implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(arity = "1..*", description = "Spam message files, folders or mbox files")
        List<Path> paths;

        @Option(names = "--source", defaultValue = "operator", description = "operator or spamtrap (default: ${DEFAULT-VALUE})")
        String source;

        @Option(names = "--min-body-chars", defaultValue = "" + Fingerprinter.DEFAULT_MIN_TEXT_CHARS,
            description = "Bodies shorter than this (normalised) are not fingerprinted (default: ${DEFAULT-VALUE})")
        int minBodyChars;

        @Option(names = "--no-learn", description = "Fingerprints only: do not queue the messages for the predictive model")
        boolean noLearn;

        @CommandLine.Mixin
        Store store = new Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            String sourceName = source.toLowerCase(Locale.ROOT);
            if (!sourceName.equals("operator") && !sourceName.equals("spamtrap")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--source must be operator or spamtrap");
            }
            ContentReports.SpamReport how = ContentReports.SpamReport.DEFAULT
                .from(SpamSignature.Source.fromStored(sourceName)).minTextChars(minBodyChars);
            if (noLearn) {
                how = how.withoutLearning();
            }
            int failed = 0;
            try (MongoClient client = store.connectionOrDefault().open()) {
                FingerprintStore fingerprints = new FingerprintStore(client.getDatabase(store.database)
                    .getCollection(FingerprintStore.COLLECTION));
                fingerprints.createIndexes();
                ContentReports reports = ContentReports.onStores(fingerprints, trainingReports(client, store), Clock.systemUTC());
                for (Path path : paths) {
                    for (MessageFolders.RawMessage message : MessageFolders.read(path)) {
                        ContentReports.Outcome outcome;
                        try {
                            outcome = reports.reportSpam(message.bytes(), how);
                        } catch (ContentReports.UnreadableMessage e) {
                            failed++;
                            out.printf("%s\tnot reported: not a readable message (%s)%n", message.origin(), e.getMessage());
                            continue;
                        }
                        String signature = outcome.signature().map(SpamSignature::id).orElse("fingerprint skipped (body too short)");
                        if (noLearn) {
                            out.printf("%s\t%s%n", message.origin(), signature);
                            failed += outcome.signature().isEmpty() ? 1 : 0;
                            continue;
                        }
                        failed += printQueued(outcome, message, signature + "\t", out);
                    }
                }
            }
            return failed == 0 ? 0 : 1;
        }
    }

    @Command(name = "report-ham", mixinStandardHelpOptions = true,
        description = {"Reports legitimate messages the filters called spam: queues them for the predictive model to learn.",
            "Prints path<TAB>training report id."})
    static final class ReportHam implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(arity = "1..*", description = "Message files, folders or mbox files")
        List<Path> paths;

        @CommandLine.Mixin
        Store store = new Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            int failed = 0;
            try (MongoClient client = store.connectionOrDefault().open()) {
                // Ham never reaches the known-spam store: it is handed over unused, its indexes not created.
                ContentReports reports = ContentReports.onStores(new FingerprintStore(client.getDatabase(store.database)
                    .getCollection(FingerprintStore.COLLECTION)), trainingReports(client, store), Clock.systemUTC());
                for (Path path : paths) {
                    for (MessageFolders.RawMessage message : MessageFolders.read(path)) {
                        try {
                            failed += printQueued(reports.reportHam(message.bytes()), message, "", out);
                        } catch (ContentReports.UnreadableMessage e) {
                            failed++;
                            out.printf("%s\tnot reported: not a readable message (%s)%n", message.origin(), e.getMessage());
                        }
                    }
                }
            }
            return failed == 0 ? 0 : 1;
        }
    }

    @Command(name = "learn", mixinStandardHelpOptions = true,
        description = "Applies the pending reports to the shared predictive model now (James's servers also do it every learnInterval).")
    static final class Learn implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Store store = new Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            try (MongoClient client = store.connectionOrDefault().open()) {
                ReportLearner learner = new ReportLearner(
                    new PredictiveModelStore(client.getDatabase(store.database).getCollection(PredictiveModelStore.COLLECTION)),
                    trainingReports(client, store), IncrementalLearner.defaults(), new ContentExtractor(ContentLimits.DEFAULT),
                    Clock.systemUTC(), ReportLearner.DEFAULT_BATCH);
                int learned = 0;
                int races = 0;
                while (true) {
                    ReportLearner.Pass pass = learner.learnPending();
                    learned += pass.learned();
                    if (pass.result() == ReportLearner.Pass.Result.NO_MODEL) {
                        out.println("No predictive model yet: train one first (filter train); the reports stay pending.");
                        return 1;
                    }
                    if (pass.result() == ReportLearner.Pass.Result.NOTHING_PENDING) {
                        out.printf("%d reports learned; none pending.%n", learned);
                        return 0;
                    }
                    if (pass.result() == ReportLearner.Pass.Result.TRAINING_UNDER_WAY) {
                        out.printf("%d reports learned; a server is training the model again on the kept reports: the others stay "
                            + "pending and go into its model or are learned after it.%n", learned);
                        return 1;
                    }
                    out.println(pass);
                    // A server learning at the same moment wins the race; try again on its model, a few times.
                    if (pass.result() == ReportLearner.Pass.Result.MODEL_REPLACED_MEANWHILE && ++races > 5) {
                        out.println("The model keeps changing under this command (servers are learning): the reports stay pending.");
                        return 1;
                    }
                }
            }
        }
    }

    private static TrainingReports trainingReports(MongoClient client, Store store) {
        TrainingReports reports = new TrainingReports(client.getDatabase(store.database).getCollection(TrainingReports.COLLECTION));
        reports.createIndexes();
        return reports;
    }

    /** Prints the training report's id after {@code before}, or why the message was not queued; 1 for the latter. */
    private static int printQueued(ContentReports.Outcome outcome, MessageFolders.RawMessage message, String before, PrintWriter out) {
        if (outcome.training().isEmpty()) {
            out.printf("%s\tnot queued for learning: %s%n", message.origin(), outcome.trainingRefused().orElse(""));
            return 1;
        }
        out.printf("%s\t%s%s%n", message.origin(), before, outcome.training().get().id());
        return 0;
    }
}
