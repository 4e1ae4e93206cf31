package dev.baton.redis;

import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small readers for Redis replies that may be nil, flat arrays or RESP3 maps. */
public final class Replies {
  private Replies() {}

  public static String str(Response r) {
    return r == null ? null : r.toString();
  }

  /**
   * A number stored as text in Redis (a stream field, a hash value), or {@code fallback} when
   * absent or not one.
   */
  public static long parseLong(String text, long fallback) {
    if (text == null) {
      return fallback;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /**
   * A reply that is a number (an integer reply, or a bulk string holding one), or {@code fallback}
   * when nil or not one.
   */
  public static long toLong(Response r, long fallback) {
    if (r == null) {
      return fallback;
    }
    try {
      return r.toLong();
    } catch (RuntimeException e) {
      return fallback;
    }
  }

  /** Field/value pairs from a flat array ({@code HGETALL}, an entry's fields) or a map. */
  public static Map<String, String> pairs(Response r) {
    Map<String, String> out = new LinkedHashMap<>();
    if (r == null) {
      return out;
    }
    if (r.isMap()) {
      for (String k : r.getKeys()) {
        out.put(k, str(r.get(k)));
      }
      return out;
    }
    for (int i = 0; i + 1 < r.size(); i += 2) {
      out.put(str(r.get(i)), str(r.get(i + 1)));
    }
    return out;
  }

  /** One stream entry: {@code [id, [field, value, ...]]}. */
  public record Entry(String id, Map<String, String> fields) {}

  /** Stream entries from an array of {@code [id, fields]}; nil entries are skipped. */
  public static List<Entry> entries(Response r) {
    List<Entry> out = new ArrayList<>();
    if (r == null) {
      return out;
    }
    for (Response e : r) {
      if (e == null || e.size() < 2 || e.get(1) == null) {
        continue;
      }
      out.add(new Entry(str(e.get(0)), pairs(e.get(1))));
    }
    return out;
  }

  /**
   * The entries of an {@code XREADGROUP} reply (streams, each with its entries), as they are; nil
   * entries skipped.
   */
  public static List<Response> readGroupEntries(Response reply) {
    List<Response> out = new ArrayList<>();
    if (reply == null) {
      return out;
    }
    for (Response stream : reply) {
      Response entries = stream.size() > 1 ? stream.get(1) : null;
      if (entries != null) {
        for (Response e : entries) {
          if (e != null) {
            out.add(e);
          }
        }
      }
    }
    return out;
  }
}
