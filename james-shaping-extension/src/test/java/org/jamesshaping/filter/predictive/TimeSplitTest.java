package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class TimeSplitTest {
    private static final class Item {
        private final String group;
        private final Instant at;

        Item(String group, Instant at) {
            this.group = group;
            this.at = at;
        }

        String group() {
            return group;
        }

        Instant at() {
            return at;
        }

        @Override
        public String toString() {
            return group + "@" + at;
        }
    }

    @Test
    void theLatestShareOfEachGroupIsTestedWhateverTheOrderGiven() {
        List<Item> items = new ArrayList<>();
        // spam listed newest first, ham oldest first: the split follows dates, not positions
        for (int day = 9; day >= 0; day--) {
            items.add(new Item("spam", Instant.parse("2002-09-01T00:00:00Z").plusSeconds(86_400L * day)));
        }
        for (int day = 0; day < 20; day++) {
            items.add(new Item("ham", Instant.parse("2002-08-01T00:00:00Z").plusSeconds(86_400L * day)));
        }
        boolean[] test = TimeSplit.latest(items, Item::at, Item::group, 0.7);
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            boolean late = item.group().equals("spam")
                ? !item.at().isBefore(Instant.parse("2002-09-08T00:00:00Z"))
                : !item.at().isBefore(Instant.parse("2002-08-15T00:00:00Z"));
            assertThat(test[i]).as("item %d %s", i, item).isEqualTo(late);
        }
    }

    @Test
    void undatedMessagesAreTrainedOnNeverTested() {
        List<Item> items = new ArrayList<>();
        items.add(new Item("ham", null));
        items.add(new Item("ham", Instant.parse("2002-08-01T00:00:00Z")));
        items.add(new Item("ham", Instant.parse("2002-08-02T00:00:00Z")));
        items.add(new Item("ham", null));
        boolean[] test = TimeSplit.latest(items, Item::at, Item::group, 0.5);
        assertThat(test).containsExactly(false, true, true, false);
        assertThatThrownBy(() -> TimeSplit.latest(items, Item::at, Item::group, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
