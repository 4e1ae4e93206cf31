package dev.baton.handler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.generator.RandomText;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pack format on its bytes: what a generator builds, a handler reads back, message by message.
 */
class StreamEntryTest {
  private static Buffer b(String s) {
    return Buffer.buffer(s);
  }

  private static StreamEntry pack(String n, Buffer texts) {
    return StreamEntry.decode(
        "5-1", b("g1"), b("7"), b("100"), b("1700000000000"), null, n == null ? null : b(n), texts);
  }

  @Test
  void aGeneratedPackDecodesIntoItsMessagesWithTheirOwnIdsAndSeqs() {
    byte[] texts = new RandomText(new Random(1)).nextPack(64);
    String[] expected = new String(texts, StandardCharsets.US_ASCII).split("\n", -1);
    assertThat(expected)
        .hasSize(64)
        .allSatisfy(t -> assertThat(t.split(" ").length).isBetween(3, 8));

    StreamEntry p = pack("64", Buffer.buffer(texts));
    assertThat(p.valid()).as(p.problem()).isTrue();
    assertThat(p.packed()).isTrue();
    assertThat(p.count()).isEqualTo(64);
    for (int i = 0; i < 64; i++) {
      assertThat(p.problem(i)).isNull();
      assertThat(p.messageId(i)).isEqualTo("5-1/" + i);
      assertThat(p.seq(i)).isEqualTo(100 + i);
      assertThat(p.text(i)).isEqualTo(expected[i]);
    }
    JsonObject record = p.errorRecord(3, "h1", 42);
    assertThat(record.getMap())
        .containsEntry("id", "5-1/3")
        .containsEntry("gen", "g1")
        .containsEntry("epoch", 7L)
        .containsEntry("seq", 103L)
        .containsEntry("ts", 1700000000000L)
        .containsEntry("text", expected[3])
        .containsEntry("handler", "h1")
        .containsEntry("detectedAt", 42L);
  }

  @Test
  void anEntryOfOneMessageKeepsTheEntryIdAsItsMessageId() {
    StreamEntry p =
        StreamEntry.decode("9-0", b("g1"), b("1"), b("3"), b("5"), b("hello world"), null, null);
    assertThat(p.valid()).isTrue();
    assertThat(p.packed()).isFalse();
    assertThat(p.count()).isEqualTo(1);
    assertThat(p.messageId(0)).isEqualTo("9-0");
    assertThat(p.text(0)).isEqualTo("hello world");
    assertThat(p.errorRecord(0, "h", 1).getString("id")).isEqualTo("9-0");
  }

  @Test
  void oneBadTextMakesOnlyThatMessageUnusable() {
    Buffer texts =
        Buffer.buffer("first one\n")
            .appendBytes(new byte[] {(byte) 0xC3, 0x28})
            .appendString("\n")
            .appendString("x".repeat(StreamEntry.MAX_TEXT_BYTES + 1))
            .appendString("\n\nlast");
    StreamEntry p = pack("5", texts);
    assertThat(p.valid()).isTrue();
    assertThat(p.problem(0)).isNull();
    assertThat(p.problem(1)).isEqualTo("text is not valid UTF-8");
    assertThat(p.problem(2)).isEqualTo("text has 65537 bytes, more than 65536");
    assertThat(p.problem(3)).isNull(); // an empty text is a text
    assertThat(p.text(3)).isEmpty();
    assertThat(p.text(4)).isEqualTo("last");
    assertThat(p.textBytes(1)).containsExactly((byte) 0xC3, 0x28);
    assertThat(p.deadLetterFields(1, "text is not valid UTF-8", 0)).hasSize(7);
  }

  @Test
  void aPackWhoseShapeIsBrokenIsNotAMessageAtAll() {
    assertThat(pack("3", b("a\nb")).problem())
        .isEqualTo("field 'texts' does not hold the 3 texts field 'n' announces");
    assertThat(pack("1", b("a\nb")).problem())
        .isEqualTo("field 'texts' does not hold the 1 texts field 'n' announces");
    assertThat(pack("0", b("")).problem()).isEqualTo("field 'n' must be within [1, 100000], got 0");
    assertThat(pack("lots", b("a")).problem()).isEqualTo("field 'n' is not a whole number: 'lots'");
    assertThat(pack("2", null).problem()).isEqualTo("missing field 'texts'");
    assertThat(pack(null, b("a")).problem()).isEqualTo("missing field 'n'");
    assertThat(
            StreamEntry.decode("1-1", b("g"), b("1"), b("1"), b("1"), b("t"), b("1"), b("t"))
                .problem())
        .isEqualTo("has both 'text' (one message) and 'n' (a pack)");
    assertThat(
            StreamEntry.decode("1-1", null, b("1"), b("1"), b("1"), null, b("1"), b("t")).problem())
        .isEqualTo("missing field 'gen'");
    assertThat(pack("1", b("only")).count()).isEqualTo(1);
  }

  @Test
  void decodesFromABufferThatIsAViewIntoALargerArray() {
    byte[] wire = "$$$one\ntwo\nthree###".getBytes(StandardCharsets.US_ASCII);
    Buffer texts = BufferInternal.buffer(Unpooled.wrappedBuffer(wire, 3, 13));
    StreamEntry p = pack("3", texts);
    assertThat(p.valid()).as(p.problem()).isTrue();
    assertThat(p.text(0)).isEqualTo("one");
    assertThat(p.text(1)).isEqualTo("two");
    assertThat(p.text(2)).isEqualTo("three");
  }
}
