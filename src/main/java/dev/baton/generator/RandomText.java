package dev.baton.generator;

import dev.baton.handler.StreamEntry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/** Random human-readable text: a short sentence of common English words. */
public final class RandomText {
  private static final String[] WORDS =
      ("amber anchor apple arrow autumn badge bakery balloon banner barrel basket beacon berry "
              + "blanket blossom bottle breeze bridge bright brook bucket butter cabin camera candle canyon "
              + "carpet castle cedar chalk cherry cinder citrus cliff clock cloud clover cobalt comet copper "
              + "coral cotton crane crystal dawn desert diamond dolphin dragon drum eagle echo ember engine "
              + "falcon feather fern festival field fig flame forest fossil fountain fox frost galaxy garden "
              + "garnet ginger glacier glass globe granite grape harbor harvest hazel helmet heron honey "
              + "horizon island ivory jacket jade jasmine jungle kettle kite lantern lemon library lighthouse "
              + "lily linen lotus magnet maple marble meadow melody meteor mint mirror moon mosaic mountain "
              + "needle nest nickel noble oasis ocean olive onyx orbit orchid otter paddle palace paper "
              + "pebble pepper piano pilot planet plum pocket pond prism pumpkin quartz quill rabbit radar "
              + "rain raven reef ribbon river rocket rose ruby saddle saffron sail salmon sapphire satellite "
              + "scarlet shadow shell silver sky slate snow spark spice spruce star stone storm summer sun "
              + "swan thistle thunder tiger timber topaz tower trail tulip tunnel valley velvet violet "
              + "voyage walnut wave willow window winter wolf yarrow zephyr")
          .split(" ");

  private static final byte[][] WORD_BYTES = new byte[WORDS.length][];

  static {
    for (int i = 0; i < WORDS.length; i++) {
      WORD_BYTES[i] = WORDS[i].getBytes(StandardCharsets.US_ASCII);
    }
  }

  private final RandomGenerator random;

  public RandomText(RandomGenerator random) {
    this.random = random;
  }

  /**
   * {@link #next()} as ASCII bytes, built without a string: what the generator sends, many a
   * second.
   */
  public byte[] nextBytes() {
    int n = 3 + random.nextInt(6);
    int[] picks = new int[n];
    int length = n - 1;
    for (int i = 0; i < n; i++) {
      picks[i] = random.nextInt(WORDS.length);
      length += WORD_BYTES[picks[i]].length;
    }
    byte[] out = new byte[length];
    int at = 0;
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        out[at++] = ' ';
      }
      byte[] w = WORD_BYTES[picks[i]];
      System.arraycopy(w, 0, out, at, w.length);
      at += w.length;
    }
    return out;
  }

  /**
   * The texts of {@code n} messages as one pack field: each {@link #nextBytes()}-like text, joined
   * by {@link dev.baton.handler.StreamEntry#SEPARATOR}, written straight into one array (no array
   * per message).
   */
  public byte[] nextPack(int n) {
    byte[] out = new byte[n * 48];
    int at = 0;
    for (int m = 0; m < n; m++) {
      if (m > 0) {
        out = room(out, at, 1);
        out[at++] = StreamEntry.SEPARATOR;
      }
      int words = 3 + random.nextInt(6);
      for (int i = 0; i < words; i++) {
        byte[] w = WORD_BYTES[random.nextInt(WORDS.length)];
        out = room(out, at, w.length + 1);
        if (i > 0) {
          out[at++] = ' ';
        }
        System.arraycopy(w, 0, out, at, w.length);
        at += w.length;
      }
    }
    return at == out.length ? out : Arrays.copyOf(out, at);
  }

  private static byte[] room(byte[] out, int at, int more) {
    return at + more <= out.length ? out : Arrays.copyOf(out, Math.max(out.length * 2, at + more));
  }
}
