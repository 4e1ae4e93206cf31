package dev.baton.state;

import java.util.Locale;

/** The role verticle a node runs. */
public enum Role {
  STARTING,
  GENERATOR,
  HANDLER;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
