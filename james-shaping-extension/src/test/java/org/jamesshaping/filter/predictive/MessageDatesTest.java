package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.jamesshaping.filter.content.MessageContent;
import org.junit.jupiter.api.Test;

class MessageDatesTest {
    private static MessageContent.Header header(String name, String value) {
        return new MessageContent.Header(name, value);
    }

    @Test
    void theDateHeaderIsReadInItsCommonForms() {
        assertThat(MessageDates.sentAt(List.of(header("Date", "Thu, 22 Aug 2002 18:26:25 +0700"))))
            .contains(Instant.parse("2002-08-22T11:26:25Z"));
        // no weekday, zone name, extra spaces: as JavaMail reads real mail
        assertThat(MessageDates.sentAt(List.of(header("Date", "9 Nov 2002 00:19:14 -0800"))))
            .contains(Instant.parse("2002-11-09T08:19:14Z"));
        assertThat(MessageDates.sentAt(List.of(header("Date", "Fri,  6 Sep 2002 16:00:15 +0000 (GMT)"))))
            .contains(Instant.parse("2002-09-06T16:00:15Z"));
    }

    @Test
    void withoutAReadableDateTheFirstReceivedHeaderGivesTheTime() {
        List<MessageContent.Header> headers = List.of(
            header("Received", "from mail.example.org (mail.example.org [192.0.2.1]) by mx.example.net; Mon, 2 Sep 2002 10:00:00 +0000"),
            header("Received", "from relay (relay [198.51.100.1]) by mail.example.org; Sun, 1 Sep 2002 10:00:00 +0000"),
            header("Date", "yesterday at noon"));
        assertThat(MessageDates.sentAt(headers)).contains(Instant.parse("2002-09-02T10:00:00Z"));
    }

    @Test
    void aDateFarFromTheReceivingServersTimeIsForgedAndTheServersTimeWins() {
        List<MessageContent.Header> headers = List.of(
            header("Received", "from x ([192.0.2.1]) by mx.example.net; Tue, 17 Sep 2002 10:00:00 +0000"),
            header("Date", "Thu, 08 Oct 2020 18:01:36 +0000"));
        assertThat(MessageDates.sentAt(headers)).contains(Instant.parse("2002-09-17T10:00:00Z"));
        // a few hours apart is an ordinary clock: the Date header is kept
        List<MessageContent.Header> close = List.of(
            header("Received", "from x ([192.0.2.1]) by mx.example.net; Tue, 17 Sep 2002 10:00:00 +0000"),
            header("Date", "Tue, 17 Sep 2002 04:00:00 -0300"));
        assertThat(MessageDates.sentAt(close)).contains(Instant.parse("2002-09-17T07:00:00Z"));
    }

    @Test
    void noDateAtAllIsEmptyAndAbsurdDatesAreNotTimes() {
        assertThat(MessageDates.sentAt(List.of(header("Subject", "hello")))).isEmpty();
        assertThat(MessageDates.sentAt(List.of(header("Date", "Mon, 1 Jan 1970 00:00:00 +0000")))).isEmpty();
        assertThat(MessageDates.sentAt(List.of(header("Date", "Mon, 1 Jan 2999 00:00:00 +0000")))).isEmpty();
        assertThat(MessageDates.sentAt(List.of(header("Received", "from x by y (no date here)")))).isEmpty();
    }
}
