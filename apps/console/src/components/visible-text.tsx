import { visibleJson, visibleSegments } from '../text/visible.js';

/**
 * Untrusted text shown as text: invisible and control characters become visible
 * markers (see `visibleSegments`), the run is isolated from the surrounding layout's
 * direction, and React sets it as a text node (never HTML).
 */
export function VisibleText({ value }: { value: unknown }) {
  const text = typeof value === 'string' ? value : value == null ? '' : String(value);
  return (
    <bdi className="untrusted">
      {visibleSegments(text).map((s, i) =>
        s.kind === 'text' ? (
          s.text
        ) : (
          <abbr key={i} className="marker" title={s.title}>
            {s.text}
          </abbr>
        ),
      )}
    </bdi>
  );
}

/**
 * A JSON value (an event, an action) as indented text: every key and string already
 * went through `visibleText`, so the only line breaks left are the layout's own.
 */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {visibleJson(value)}
    </pre>
  );
}
