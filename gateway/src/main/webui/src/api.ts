/**
 * The gateway's REST API, same origin, with the API key kept in sessionStorage (gone when the tab closes) and
 * sent as the bearer token. Errors are the API's problem documents, shown as the API words them.
 */
const KEY = 'tuneforge.key';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_after: string | null;
}

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = session.key();
  return { Accept: 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}), ...extra };
}

async function problem(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    message = body.detail || body.title || body.error?.message || message;
  } catch { /* not JSON: the status says it */ }
  return new ApiError(res.status, message);
}

export async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) throw await problem(res);
  return res.json() as Promise<T>;
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await problem(res);
  return res.json() as Promise<T>;
}

/** Uploads a file with progress (fetch has no upload progress, XMLHttpRequest does). */
export function upload<T>(path: string, file: File, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [k, v] of Object.entries(headers({ 'Content-Type': 'application/jsonl' }))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = e => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let body: any = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* empty */ }
      if (xhr.status >= 200 && xhr.status < 300) { onProgress(1); resolve(body as T); }
      else reject(new ApiError(xhr.status, body?.detail || body?.title || `${xhr.status} ${xhr.statusText}`));
    };
    xhr.onerror = () => reject(new ApiError(0, 'the upload could not reach the gateway'));
    xhr.send(file);
  });
}

/**
 * A server-sent event stream read with fetch (EventSource cannot send the bearer token). Calls onEvent for each
 * event until the returned abort function is called or the stream ends.
 */
export function stream(path: string, onEvent: (type: string, data: any) => void): () => void {
  const abort = new AbortController();
  (async () => {
    const res = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal: abort.signal });
    if (!res.ok || !res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length) {
          try { onEvent(type, JSON.parse(data.join('\n'))); } catch { /* not JSON: ignored */ }
        }
      }
    }
  })().catch(() => { /* aborted or the connection closed */ });
  return () => abort.abort();
}
