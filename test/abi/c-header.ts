// A small reader for Linux uapi headers: the structs and unions they declare (with their members,
// anonymous unions flattened as C flattens them), object-like macros and enumerators. Enough for
// kfd_ioctl.h, drm.h and amdgpu_drm.h, whose declarations are plain; it does not evaluate anything.

export interface Aggregate {
  /** `name` for a struct, `union name` for a union, `outer.member` for a member of anonymous type. */
  readonly key: string;
  /** Member names whose offsets C can take (bitfields left out), in declaration order. */
  readonly members: string[];
}

export interface HeaderDecls {
  readonly aggregates: Aggregate[];
  /** Object-like macros: name → body text. */
  readonly macros: Map<string, string>;
  readonly enumerators: string[];
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

function macrosOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const joined = text.replace(/\\\n/g, ' ');
  for (const m of joined.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\(?)(.*)$/gm)) {
    if (m[2] === '(') continue; // function-like
    out.set(m[1]!, m[3]!.trim());
  }
  return out;
}

/** Index of the brace closing the one at `open`. */
function closing(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return i;
  }
  throw new Error(`unbalanced braces after offset ${open}`);
}

/** Splits a body at top-level `;`. */
function statements(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '{') depth++;
    else if (ch === '}') depth--;
    else if (ch === ';' && depth === 0) {
      out.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  return out.filter(Boolean);
}

function declaratorNames(decl: string): string[] {
  const withoutDims = decl.replace(/\[[^\]]*\]/g, '');
  return withoutDims
    .split(',')
    .map((d, i) => {
      if (d.includes(':')) return undefined; // bitfield
      const ids = d.match(/[A-Za-z_]\w*/g) ?? [];
      // The first declarator carries the type words; later ones are just names (and stars).
      return i === 0 ? ids[ids.length - 1] : ids[0];
    })
    .filter((n): n is string => n !== undefined);
}

function parseBody(key: string, body: string, out: Aggregate[]): string[] {
  const members: string[] = [];
  for (const st of statements(body)) {
    const open = st.indexOf('{');
    if (/^enum\b/.test(st) && open >= 0) {
      members.push(...declaratorNames(st.slice(closing(st, open) + 1))); // an inline enum's member
      continue;
    }
    if (/^(struct|union)\b/.test(st) && open >= 0) {
      const close = closing(st, open);
      const inner = st.slice(open + 1, close);
      const declarators = st.slice(close + 1);
      const names = declaratorNames(declarators);
      if (names.length === 0) {
        members.push(...parseBody(key, inner, out)); // anonymous: members belong to the outer type
      } else {
        for (const n of names) {
          members.push(n);
          // An array of an anonymous type is measured through its first element.
          const isArray = new RegExp(`\\b${n}\\s*\\[`).test(declarators);
          const nested = `${key}.${n}${isArray ? '[0]' : ''}`;
          out.push({ key: nested, members: parseBody(nested, inner, out) });
        }
      }
      continue;
    }
    members.push(...declaratorNames(st));
  }
  return members;
}

/** Drops the C++ side of `#ifdef __cplusplus … #else … #endif`; other conditionals are kept whole. */
function cOnly(text: string): string {
  const out: string[] = [];
  const stack: { cxx: boolean; skipping: boolean }[] = [];
  for (const line of text.split('\n')) {
    const d = /^\s*#\s*(if|ifdef|ifndef|else|elif|endif)\b(.*)$/.exec(line);
    if (d) {
      const [, kind, rest = ''] = d;
      if (kind!.startsWith('if')) stack.push({ cxx: /__cplusplus/.test(rest), skipping: /__cplusplus/.test(rest) && kind !== 'ifndef' });
      else if (kind === 'endif') stack.pop();
      else if (stack.length && stack[stack.length - 1]!.cxx) stack[stack.length - 1]!.skipping = !stack[stack.length - 1]!.skipping;
      continue;
    }
    if (!stack.some((s) => s.skipping)) out.push(line);
  }
  return out.join('\n');
}

export function parseHeader(text: string): HeaderDecls {
  const macros = macrosOf(stripComments(text));
  const src = stripComments(cOnly(text.replace(/\\\n/g, ' '))).replace(/^[ \t]*#.*$/gm, '');
  const aggregates: Aggregate[] = [];
  const enumerators: string[] = [];
  const re = /\b(struct|union|enum)\s+([A-Za-z_]\w*)?\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    const open = m.index + m[0].length - 1;
    const close = closing(src, open);
    const body = src.slice(open + 1, close);
    if (m[1] === 'enum') {
      for (const item of body.split(',')) {
        const id = /^\s*([A-Za-z_]\w*)/.exec(item);
        if (id) enumerators.push(id[1]!);
      }
    } else if (m[2]) {
      const key = m[1] === 'union' ? `union ${m[2]}` : m[2];
      const nested: Aggregate[] = [];
      const members = parseBody(key, body, nested);
      aggregates.push({ key, members }, ...nested);
    }
    re.lastIndex = close + 1;
  }
  return { aggregates, macros, enumerators };
}
