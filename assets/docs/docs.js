// Renders /openapi.json: routes grouped by tag with their parameters, request
// and response schemas, examples and a small try-it form.
"use strict";
let spec = null;

const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};

const refName = ref => ref.replace("#/components/schemas/", "");
const resolve = s => (s && s.$ref ? spec.components.schemas[refName(s.$ref)] || {} : s || {});

function typeLabel(s) {
  if (!s) return "any";
  if (s.$ref) return refName(s.$ref);
  if (s.oneOf) return s.oneOf.map(typeLabel).join(" | ");
  if (s.anyOf) return s.anyOf.map(typeLabel).join(" | ");
  if (s.allOf) return s.allOf.map(typeLabel).join(" & ");
  if (s.type === "array") return (s.items && (s.items.oneOf || s.items.anyOf) ? "(" + typeLabel(s.items) + ")" : typeLabel(s.items)) + "[]";
  if (Array.isArray(s.type)) return s.type.join(" | ");
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties)
    return "map<string, " + typeLabel(s.additionalProperties) + ">";
  return s.type || "any";
}

// schemaTree lists an object's fields, expanding referenced types on demand.
function schemaTree(s, depth = 0) {
  const seen = new Set();
  const walk = (s, depth) => {
    const ul = el("ul");
    let props = {};
    const parts = s.allOf ? s.allOf : [s];
    let required = [];
    for (const p of parts) {
      const r = resolve(p);
      Object.assign(props, r.properties || {});
      required = required.concat(r.required || []);
    }
    for (const [name, ps] of Object.entries(props)) {
      const li = el("li", {}, el("code", {}, name), " ", el("span", { class: "t" }, typeLabel(ps)),
        required.includes(name) ? " (always present)" : "");
      if (ps.description) li.append(" — " + ps.description);
      let inner = ps;
      if (inner.type === "array" || (Array.isArray(inner.type) && inner.items)) inner = inner.items;
      if (inner && inner.anyOf) inner = inner.anyOf.find(x => x.$ref) || inner;
      if (inner && inner.$ref && depth < 6 && !seen.has(inner.$ref + depth)) {
        seen.add(inner.$ref + depth);
        const d = el("details", {}, el("summary", {}, refName(inner.$ref)));
        d.addEventListener("toggle", () => { if (d.open && d.childNodes.length === 1) d.append(walk(inner, depth + 1)); }, { once: false });
        li.append(d);
      }
      ul.append(li);
    }
    return ul;
  };
  return el("div", { class: "schema" }, walk(s, depth));
}

function paramTable(params) {
  const t = el("table", {}, el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")));
  for (const p of params) {
    const type = typeLabel(p.schema) + (p.schema && p.schema.enum ? ": " + p.schema.enum.join("|") : "");
    t.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in + (p.required ? " *" : "")), el("td", {}, type), el("td", {}, p.description || "")));
  }
  return t;
}

function tryIt(path, method, op) {
  const box = el("div", {}, el("h4", {}, "Try it"));
  const inputs = {};
  for (const p of op.parameters || []) {
    const i = el("input", { placeholder: p.name + (p.in === "path" ? " (required)" : "") });
    inputs[p.name] = [p, i];
    box.append(el("label", {}, p.name + " ", i), " ");
  }
  let body = null;
  const media = op.requestBody && op.requestBody.content["application/json"];
  if (media) {
    body = el("textarea", {});
    body.value = media.example ? JSON.stringify(media.example, null, 2) : "{}";
    box.append(body);
  }
  const out = el("pre", {}, "");
  const send = el("button", { type: "button" }, "Send " + method.toUpperCase());
  send.addEventListener("click", async () => {
    let url = path;
    const q = new URLSearchParams();
    for (const [name, [p, i]] of Object.entries(inputs)) {
      if (p.in === "path") url = url.replace("{" + name + "}", encodeURIComponent(i.value));
      else if (i.value !== "") q.set(name, i.value);
    }
    if ([...q].length) url += "?" + q;
    const init = { method: method.toUpperCase(), headers: {} };
    if (body) { init.body = body.value; init.headers["Content-Type"] = "application/json"; }
    const token = document.getElementById("token").value.trim();
    if (token) init.headers["Authorization"] = "Bearer " + token;
    out.textContent = "…";
    try {
      const r = await fetch(url, init);
      const text = await r.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
      out.textContent = r.status + " " + r.statusText + "\n" + shown.slice(0, 200000);
    } catch (e) { out.textContent = String(e); }
  });
  box.append(el("div", {}, send), out);
  return box;
}

function operation(path, method, op) {
  const d = el("details", { class: "op", id: op.operationId });
  d.dataset.search = (method + " " + path + " " + op.summary + " " + op.tags.join(" ")).toLowerCase();
  d.append(el("summary", {}, el("span", { class: "m " + method }, method.toUpperCase()), el("span", { class: "path" }, path), el("span", { class: "sum" }, op.summary)));
  d.addEventListener("toggle", () => {
    if (!d.open || d.querySelector(".body")) return;
    const b = el("div", { class: "body" }, el("p", {}, op.summary));
    if (op.parameters && op.parameters.length) b.append(el("h4", {}, "Parameters"), paramTable(op.parameters));
    const media = op.requestBody && op.requestBody.content["application/json"];
    if (media) {
      b.append(el("h4", {}, "Request body: " + typeLabel(media.schema)), schemaTree(media.schema));
      if (media.example) b.append(el("h4", {}, "Example"), el("pre", {}, JSON.stringify(media.example, null, 2)));
    }
    for (const [code, resp] of Object.entries(op.responses)) {
      const r = resp.$ref ? spec.components.responses[resp.$ref.split("/").pop()] : resp;
      b.append(el("h4", {}, "Response " + code), el("p", {}, r.description || ""));
      const c = r.content || {};
      for (const [type, m] of Object.entries(c)) {
        if (m.schema && type === "application/json" && code !== "4XX" && code !== "5XX") b.append(schemaTree(m.schema));
        else if (!m.schema) b.append(el("p", {}, "content type: " + type));
      }
    }
    b.append(tryIt(path, method, op));
    d.append(b);
  });
  return d;
}

function render() {
  document.getElementById("title").textContent = spec.info.title + " " + (spec.info.version || "");
  document.getElementById("desc").textContent = spec.info.description || "";
  const ops = [];
  for (const [path, methods] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(methods)) ops.push([path, method, op]);
  ops.sort((a, b) => a[2]["x-order"] - b[2]["x-order"]);
  const main = document.getElementById("routes");
  const toc = document.getElementById("toc");
  main.textContent = "";
  for (const tag of spec.tags) {
    const section = el("section", { id: "tag-" + tag.name }, el("h2", {}, tag.name));
    for (const [path, method, op] of ops) if (op.tags[0] === tag.name) section.append(operation(path, method, op));
    main.append(section);
    toc.append(el("a", { href: "#tag-" + tag.name }, tag.name));
  }
  // A link to #<operationId> opens that route.
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target && target.tagName === "DETAILS") { target.open = true; target.scrollIntoView(); }
}

// The token stays in this tab only (sessionStorage), never in the page's URL.
const tokenInput = document.getElementById("token");
tokenInput.value = sessionStorage.getItem("sigmalab_token") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("sigmalab_token", tokenInput.value.trim()));

document.getElementById("filter").addEventListener("input", e => {
  const q = e.target.value.toLowerCase();
  for (const d of document.querySelectorAll("details.op")) d.style.display = d.dataset.search.includes(q) ? "" : "none";
  for (const s of document.querySelectorAll("main section"))
    s.style.display = [...s.querySelectorAll("details.op")].some(d => d.style.display !== "none") ? "" : "none";
});

fetch("/openapi.json").then(r => r.json()).then(j => { spec = j; render(); })
  .catch(e => { document.getElementById("routes").textContent = "Could not load /openapi.json: " + e; });
