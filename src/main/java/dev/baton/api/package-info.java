/**
 * Baton's plug-in API: what a team implements to put its own work through a Baton cluster from any
 * JVM language. A {@link dev.baton.api.MessageHandler} judges each message handed to it as an
 * {@link dev.baton.api.Invocation} and answers one {@link dev.baton.api.Outcome}; a {@link
 * dev.baton.api.MessageSource} gives the generator the texts to publish for each {@link
 * dev.baton.api.Tick}. Both start with a {@link dev.baton.api.PluginContext}. Nothing here depends
 * on the rest of Baton, so a plug-in compiles against this package alone (and Vert.x core).
 *
 * <p>The guarantee: Baton commits each message's outcome exactly once. Whatever a handler does
 * outside Redis happens at least once (an attempt may be repeated after a crash, a timeout or a
 * takeover); a handler that deduplicates by {@link dev.baton.api.Invocation#id()} makes it
 * effectively once.
 */
package dev.baton.api;
