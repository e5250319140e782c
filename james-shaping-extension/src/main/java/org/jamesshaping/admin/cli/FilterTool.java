package org.jamesshaping.admin.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import javax.mail.MessagingException;

import org.jamesshaping.filter.ContentReports;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.fingerprint.FingerprintStore;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.fingerprint.SpamSignature;
import org.jamesshaping.filter.predictive.IncrementalLearner;
import org.jamesshaping.filter.predictive.MessageDates;
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
        FilterTool.ReportHam.class, FilterTool.Learn.class})
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

        @Option(names = "--threshold", description = "Spam threshold stored with the model (default: tuned, see --target-fp-rate)")
        Double threshold;

        @Option(names = "--target-fp-rate", defaultValue = "" + ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE,
            description = "Tune the threshold by cross-validation on the training messages so that at most this fraction of "
                + "held-out ham is flagged (default: ${DEFAULT-VALUE}); needs " + ModelTrainer.MIN_EXAMPLES_PER_CLASS_FOR_TUNING
                + " spam and ham, else the threshold is " + PredictiveModel.DEFAULT_THRESHOLD)
        double targetFalsePositiveRate;

        @Option(names = "--threshold-margin", defaultValue = "" + ModelTrainer.DEFAULT_THRESHOLD_MARGIN,
            description = "Logits added to the tuned threshold, because later mail scores higher than held-out mail of the "
                + "training period (default: ${DEFAULT-VALUE})")
        double thresholdMargin;

        @CommandLine.Mixin
        Store store = new Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if ((modelFile == null) == (store.mongoUri == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --model FILE or --mongo-uri URI");
            }
            ModelTrainer trainer = ModelTrainer.defaults();
            Examples examples = new Examples(new org.jamesshaping.filter.predictive.FeatureExtractor(trainer.dimensionBits()));
            for (Path path : spam) {
                examples.add(path, true);
            }
            for (Path path : ham) {
                examples.add(path, false);
            }
            if (!(targetFalsePositiveRate >= 0 && targetFalsePositiveRate < 1)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--target-fp-rate must be in [0, 1)");
            }
            String thresholdOrigin;
            double chosen;
            if (threshold != null) {
                chosen = threshold;
                thresholdOrigin = "given";
            } else {
                Optional<ModelTrainer.Tuning> tuned = trainer.tune(examples.list, targetFalsePositiveRate, thresholdMargin);
                chosen = tuned.map(ModelTrainer.Tuning::threshold).orElse(PredictiveModel.DEFAULT_THRESHOLD);
                thresholdOrigin = tuned.map(tuning -> tuning.method().equals("time split")
                    ? String.format(Locale.ROOT, "tuned for %.2f%% false positives on the latest %d ham by date, scored by a model "
                        + "trained on the earlier mail, plus a margin of %.1f logits", 100 * targetFalsePositiveRate, tuning.heldOutHam(),
                        thresholdMargin)
                    : String.format(Locale.ROOT, "tuned by %d-fold cross-validation for %.2f%% held-out false positives (the "
                        + "messages are not dated enough for a time split), plus a margin of %.1f logits", ModelTrainer.TUNING_FOLDS,
                        100 * targetFalsePositiveRate, thresholdMargin))
                    .orElse("default: too few messages to tune");
            }
            PredictiveModel model = trainer.train(examples.list, chosen);
            out.printf(Locale.ROOT, "trained on %d spam and %d ham (%d unreadable skipped); threshold %.4f (%s)%n", model.spamCount(),
                model.hamCount(), examples.unreadable, model.threshold(), thresholdOrigin);
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

    /** Feature vectors of the messages read so far. */
    static final class Examples {
        final ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        final org.jamesshaping.filter.predictive.FeatureExtractor features;
        final List<ModelTrainer.Example> list = new ArrayList<>();
        int unreadable;

        Examples(org.jamesshaping.filter.predictive.FeatureExtractor features) {
            this.features = features;
        }

        void add(Path path, boolean spam) throws IOException {
            for (MessageFolders.RawMessage message : MessageFolders.read(path)) {
                try {
                    MessageContent content = extractor.extract(message.bytes());
                    list.add(new ModelTrainer.Example(features.features(content), spam, MessageDates.sentAt(content).orElse(null)));
                } catch (MessagingException | RuntimeException e) {
                    unreadable++;
                }
            }
        }
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

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PredictiveModel model = loadModel();
            org.jamesshaping.filter.predictive.FeatureExtractor features = model.featureExtractor();
            ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
            int failures = 0;
            for (Path path : paths) {
                for (MessageFolders.RawMessage message : MessageFolders.read(path)) {
                    try {
                        double score = model.score(features.features(extractor.extract(message.bytes())));
                        out.printf(Locale.ROOT, "%s\t%.4f\t%s%n", message.origin(), score, model.isSpam(score) ? "spam" : "ham");
                    } catch (MessagingException | RuntimeException e) {
                        failures++;
                        out.printf(Locale.ROOT, "%s\tNaN\tnot-run%n", message.origin());
                    }
                }
            }
            return failures == 0 ? 0 : 1;
        }

        private PredictiveModel loadModel() throws IOException {
            if (modelFile != null) {
                return ModelCodec.readFile(modelFile);
            }
            if (store.mongoUri == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give --model FILE or --mongo-uri URI");
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
