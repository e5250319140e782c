package org.jamesshaping.filter;

import java.util.*;
import org.jamesshaping.filter.tool.MessageFolders;

public class QuickEval {
    public static void main(String[] args) throws Exception {
        List<CorpusCache.CorpusMessage> all = CorpusCache.loadAllowed();
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        int bits = Integer.parseInt(args.length > 0 ? args[0] : "20");
        int epochs = Integer.parseInt(args.length > 1 ? args[1] : "12");
        double lr = Double.parseDouble(args.length > 2 ? args[2] : "0.5");
        double hw = Double.parseDouble(args.length > 3 ? args[3] : "2");
        FeatureExtractor fx = new FeatureExtractor(bits);
        long t0 = System.nanoTime();
        List<int[]> feats = new ArrayList<>();
        for (CorpusCache.CorpusMessage m : all) {
            feats.add(fx.features(extractor.extract(MessageFolders.stripEnvelopeLine(m.raw()))));
        }
        System.out.printf("extract %.0f msg/s%n", all.size() / ((System.nanoTime() - t0) / 1e9));
        int tp = 0, fp = 0, spam = 0, ham = 0;
        double[] scores = new double[all.size()];
        for (int fold = 0; fold < 5; fold++) {
            List<ModelTrainer.Example> train = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) if (all.get(i).fold(5) != fold) train.add(new ModelTrainer.Example(feats.get(i), all.get(i).spam()));
            PredictiveModel model = new ModelTrainer(bits, epochs, lr, hw, 1e-6, 42).train(train, 0.5);
            for (int i = 0; i < all.size(); i++) if (all.get(i).fold(5) == fold) scores[i] = model.score(feats.get(i));
        }
        List<Double> hs = new ArrayList<>(); for (int i = 0; i < all.size(); i++) if (!all.get(i).spam()) hs.add(scores[i]);
        hs.sort(Collections.reverseOrder()); double cut = hs.get(13); int c = 0, ns = 0;
        for (int i = 0; i < all.size(); i++) if (all.get(i).spam()) { ns++; if (scores[i] > cut) c++; }
        System.out.printf("at FP<=0.5%%: catch %.2f%% (cut %.3f)%n", 100.0 * c / ns, cut);
        for (double th : new double[]{0.1, 0.2, 0.3, 0.5, 0.7, 0.9}) {
            tp = fp = spam = ham = 0;
            for (int i = 0; i < all.size(); i++) {
                boolean s = all.get(i).spam();
                if (s) { spam++; if (scores[i] >= th) tp++; } else { ham++; if (scores[i] >= th) { fp++; if (th == 0.05) System.out.println("FP " + all.get(i).path() + " " + scores[i]); } }
            }
            System.out.printf("th %.2f caught %d/%d (%.2f%%) fp %d/%d (%.2f%%)%n", th, tp, spam, 100.0 * tp / spam, fp, ham, 100.0 * fp / ham);
        }
    }
}
