package org.jamesshaping.admin.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.jamesshaping.filter.predictive.ModelCodec;
import org.jamesshaping.filter.predictive.ModelTrainer;
import org.jamesshaping.filter.predictive.PredictiveModel;
import org.jamesshaping.filter.predictive.PredictiveModelStore;
import org.jamesshaping.filter.predictive.ReportExamples;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.store.MongoConnection;

import com.mongodb.client.MongoClient;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code james-shaping filter train|retrain|classify|report-spam|report-ham|learn}: the content filters' command-line
 * tool; classify is {@link ClassifyCommand}, reports and learning are in {@link ReportCommands}.
 */
@Command(name = "filter", mixinStandardHelpOptions = true, description = "Train, run and feed the content filters.",
    subcommands = {FilterTool.Train.class, ClassifyCommand.class, ReportCommands.ReportSpam.class,
        ReportCommands.ReportHam.class, ReportCommands.Learn.class, FilterTool.Retrain.class})
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
                ReportExamples kept = ReportExamples.allKept(reports, examples.extractor, examples.features);
                examples.list.addAll(kept.list());
                examples.unreadable += kept.unreadable();
                List<String> pending = kept.pendingIds();
                int fromStore = kept.list().size();
                for (Path path : spam) {
                    examples.add(path, true);
                }
                for (Path path : ham) {
                    examples.add(path, false);
                }
                if (examples.list.stream().noneMatch(ModelTrainer.Example::spam) || examples.list.stream().allMatch(ModelTrainer.Example::spam)) {
                    out.printf("%d reports kept: a model needs spam and ham; report some (filter report-spam|report-ham) or add "
                        + "--spam/--ham folders. Nothing saved.%n", fromStore);
                    return 1;
                }
                out.printf("%d reports from MongoDB (%d pending), %d messages from folders%n", fromStore, pending.size(),
                    examples.list.size() - fromStore);
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

    static TrainingReports trainingReports(MongoClient client, Store store) {
        TrainingReports reports = new TrainingReports(client.getDatabase(store.database).getCollection(TrainingReports.COLLECTION));
        reports.createIndexes();
        return reports;
    }

}
