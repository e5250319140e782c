package org.jamesshaping.filter.tool;

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

import org.jamesshaping.filter.ContentExtractor;
import org.jamesshaping.filter.ContentLimits;
import org.jamesshaping.filter.Fingerprint;
import org.jamesshaping.filter.FingerprintStore;
import org.jamesshaping.filter.Fingerprinter;
import org.jamesshaping.filter.ModelCodec;
import org.jamesshaping.filter.ModelTrainer;
import org.jamesshaping.filter.MongoConnection;
import org.jamesshaping.filter.PredictiveModel;
import org.jamesshaping.filter.PredictiveModelStore;
import org.jamesshaping.filter.SpamSignature;

import com.mongodb.client.MongoClient;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code james-shaping filter train|classify|report-spam}: the content filters' command-line tool. */
@Command(name = "filter", mixinStandardHelpOptions = true, description = "Train, run and feed the content filters.",
    subcommands = {FilterTool.Train.class, FilterTool.Classify.class, FilterTool.ReportSpam.class})
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

        @CommandLine.Mixin
        Store store = new Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if ((modelFile == null) == (store.mongoUri == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --model FILE or --mongo-uri URI");
            }
            ModelTrainer trainer = ModelTrainer.defaults();
            Examples examples = new Examples(new org.jamesshaping.filter.FeatureExtractor(trainer.dimensionBits()));
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
                Optional<Double> tuned = trainer.tuneThreshold(examples.list, targetFalsePositiveRate);
                chosen = tuned.orElse(PredictiveModel.DEFAULT_THRESHOLD);
                thresholdOrigin = tuned.isPresent()
                    ? String.format(Locale.ROOT, "tuned by %d-fold cross-validation for %.2f%% held-out false positives",
                        ModelTrainer.TUNING_FOLDS, 100 * targetFalsePositiveRate)
                    : "default: too few messages to tune";
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
        final org.jamesshaping.filter.FeatureExtractor features;
        final List<ModelTrainer.Example> list = new ArrayList<>();
        int unreadable;

        Examples(org.jamesshaping.filter.FeatureExtractor features) {
            this.features = features;
        }

        void add(Path path, boolean spam) throws IOException {
            for (MessageFolders.RawMessage message : MessageFolders.read(path)) {
                try {
                    list.add(new ModelTrainer.Example(features.features(extractor.extract(message.bytes())), spam));
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
            org.jamesshaping.filter.FeatureExtractor features = model.featureExtractor();
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
        description = "Adds the fingerprints of spam messages to the shared known-spam store.")
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

        @CommandLine.Mixin
        Store store = new Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if (store.mongoUri == null) {
                store.mongoUri = MongoConnection.DEFAULT_URI;
            }
            SpamSignature.Source reportSource = SpamSignature.Source.fromStored(source.toLowerCase(Locale.ROOT));
            Fingerprinter fingerprinter = new Fingerprinter(minBodyChars);
            ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
            int skipped = 0;
            try (MongoClient client = store.connection().open()) {
                FingerprintStore fingerprints = new FingerprintStore(client.getDatabase(store.database)
                    .getCollection(FingerprintStore.COLLECTION));
                fingerprints.createIndexes();
                for (Path path : paths) {
                    for (MessageFolders.RawMessage message : MessageFolders.read(path)) {
                        Optional<Fingerprint> fingerprint;
                        try {
                            fingerprint = fingerprinter.fingerprint(extractor.extract(message.bytes()));
                        } catch (MessagingException | RuntimeException e) {
                            fingerprint = Optional.empty();
                        }
                        if (fingerprint.isEmpty()) {
                            skipped++;
                            out.printf("%s\tskipped (unreadable or body too short to fingerprint)%n", message.origin());
                            continue;
                        }
                        SpamSignature signature = fingerprints.report(fingerprint.get(), reportSource, Clock.systemUTC().instant());
                        out.printf("%s\t%s%n", message.origin(), signature.id());
                    }
                }
            }
            return skipped == 0 ? 0 : 1;
        }
    }
}
