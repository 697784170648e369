/**
 * shared.js — a small piece of state that several panels read and change: set(patch) merges the
 * patch and tells every listener, listen(fn) returns the function that stops listening.
 */

export function sharedState(fields, methods = {}) {
  return {
    ...fields,
    listeners: new Set(),
    listen(fn) {
      this.listeners.add(fn);
      return () => this.listeners.delete(fn);
    },
    set(patch) {
      Object.assign(this, patch);
      this.listeners.forEach((fn) => fn());
    },
    ...methods,
  };
}
