/** The PromQL editor: CodeMirror 6 with Prometheus's own PromQL language, linter and API-backed completion. */

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, insertNewline } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';

// One completion client for every panel, so metric names are fetched and cached once per page.
const promql = new PromQLExtension().setComplete({
  remote: { url: window.location.origin, httpMethod: 'GET', cache: { maxAge: 5 * 60_000 } },
});

export interface EditorHooks {
  onChange(text: string): void;
  onExecute(): void;
}

/** Mounts an editor in `parent`; Enter runs the query, Shift+Enter inserts a newline. */
export function createEditor(parent: HTMLElement, initial: string, hooks: EditorHooks): EditorView {
  const runKeys = keymap.of([
    { key: 'Enter', run: () => { hooks.onExecute(); return true; } },
    { key: 'Shift-Enter', run: insertNewline },
  ]);
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: initial,
      extensions: [
        history(),
        bracketMatching(),
        closeBrackets(),
        autocompletion(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        // The completion keymap comes first so that Enter accepts a suggestion when the list is open.
        keymap.of([...closeBracketsKeymap, ...completionKeymap]),
        runKeys,
        keymap.of([...defaultKeymap, ...historyKeymap]),
        placeholder('Expression (press Shift+Enter for newlines)'),
        EditorView.lineWrapping,
        promql.asExtension(),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) hooks.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
}
