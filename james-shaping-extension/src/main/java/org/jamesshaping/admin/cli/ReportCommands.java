package org.jamesshaping.admin.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.jamesshaping.filter.ContentReports;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.fingerprint.FingerprintStore;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.fingerprint.SpamSignature;
import org.jamesshaping.filter.predictive.IncrementalLearner;
import org.jamesshaping.filter.predictive.PredictiveModelStore;
import org.jamesshaping.filter.predictive.ReportLearner;

import com.mongodb.client.MongoClient;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code james-shaping filter report-spam|report-ham|learn}: operators' reports to the content filters, and learning them now. */
final class ReportCommands {
    private ReportCommands() {
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
        FilterTool.Store store = new FilterTool.Store();

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
                ContentReports reports = ContentReports.onStores(fingerprints, FilterTool.trainingReports(client, store), Clock.systemUTC());
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
        FilterTool.Store store = new FilterTool.Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            int failed = 0;
            try (MongoClient client = store.connectionOrDefault().open()) {
                // Ham never reaches the known-spam store: it is handed over unused, its indexes not created.
                ContentReports reports = ContentReports.onStores(new FingerprintStore(client.getDatabase(store.database)
                    .getCollection(FingerprintStore.COLLECTION)), FilterTool.trainingReports(client, store), Clock.systemUTC());
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
        FilterTool.Store store = new FilterTool.Store();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            try (MongoClient client = store.connectionOrDefault().open()) {
                ReportLearner learner = new ReportLearner(
                    new PredictiveModelStore(client.getDatabase(store.database).getCollection(PredictiveModelStore.COLLECTION)),
                    FilterTool.trainingReports(client, store), IncrementalLearner.defaults(), new ContentExtractor(ContentLimits.DEFAULT),
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
