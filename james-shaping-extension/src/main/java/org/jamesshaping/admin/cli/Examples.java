package org.jamesshaping.admin.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import javax.mail.MessagingException;

import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.predictive.FeatureExtractor;
import org.jamesshaping.filter.predictive.MessageDates;
import org.jamesshaping.filter.predictive.ModelTrainer;

/** Feature vectors of the messages read so far. */
final class Examples {
    final ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
    final FeatureExtractor features;
    final List<ModelTrainer.Example> list = new ArrayList<>();
    int unreadable;

    Examples(FeatureExtractor features) {
        this.features = features;
    }

    void add(Path path, boolean spam) throws IOException {
        for (MessageFolders.RawMessage message : MessageFolders.read(path)) {
            add(message.bytes(), spam);
        }
    }

    void add(MessageFolders.RawMessage message, boolean spam) {
        add(message.bytes(), spam);
    }

    /** False (and counted) for a message that cannot be read. */
    boolean add(byte[] raw, boolean spam) {
        try {
            MessageContent content = extractor.extract(raw);
            list.add(new ModelTrainer.Example(features.features(content), spam, MessageDates.sentAt(content).orElse(null)));
            return true;
        } catch (MessagingException | RuntimeException e) {
            unreadable++;
            return false;
        }
    }

    int distinctFeatures() {
        BitSet seen = new BitSet();
        for (ModelTrainer.Example example : list) {
            for (int feature : example.features()) {
                seen.set(feature);
            }
        }
        return seen.cardinality();
    }
}
