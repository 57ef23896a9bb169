// rfm web UI: progressive enhancement only. Every page works without this file (plain form posts);
// with it, the segment lookup answers without a page reload and "score a file" downloads in place.
// Plain ES2020, no build step, no dependencies, served by rfm at /assets/rfm.js (CSP: script-src 'self').
(function () {
  var FIELDS = ['cid', 'recency', 'monetary', 'frequency'];
  var LABELS = { recency: 'Recency (days)', frequency: 'Frequency (purchases)', monetary: 'Monetary (spent)' };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs)
      Object.keys(attrs).forEach(function (k) {
        e.setAttribute(k, attrs[k]);
      });
    (children || []).forEach(function (c) {
      e.append(c);
    });
    return e;
  }

  function fmt(n) {
    var a = Math.abs(n);
    return n.toLocaleString('en-US', { maximumFractionDigits: a >= 100 ? 0 : a >= 10 ? 1 : 2 });
  }

  // Same rules as serving/src/ui/explain.ts comparePhrase.
  function comparePhrase(feature, customer, typical) {
    if (feature === 'recency') {
      var d = customer - typical;
      if (Math.abs(d) < Math.max(1, 0.1 * typical)) return 'about as recent as typical';
      var days = Math.round(Math.abs(d));
      return days + ' day' + (days === 1 ? '' : 's') + ' ' + (d < 0 ? 'more recent' : 'longer ago') + ' than typical';
    }
    if (typical <= 0) return customer > 0 ? 'above typical' : 'about typical';
    var ratio = customer / typical;
    if (ratio >= 0.9 && ratio <= 1.1) return 'about typical';
    if (ratio > 1) return fmt(ratio) + '× typical';
    return Math.round(ratio * 100) + '% of typical';
  }

  // ---- field errors, placed exactly where the server puts them -------------------------------
  function clearErrors(form) {
    FIELDS.forEach(function (name) {
      var input = form.querySelector('#' + name);
      var err = document.getElementById(name + '-error');
      if (err) err.remove();
      if (input) {
        input.removeAttribute('aria-invalid');
        input.setAttribute('aria-describedby', name + '-hint');
      }
    });
    var slot = document.getElementById('form-error-slot');
    if (slot) slot.replaceChildren();
  }

  function showErrors(form, issues, message) {
    var first = null;
    var formLevel = [];
    (issues || []).forEach(function (i) {
      var name = String(i.path || '');
      var input = FIELDS.indexOf(name) >= 0 ? form.querySelector('#' + name) : null;
      if (!input) {
        formLevel.push(i.message);
        return;
      }
      if (document.getElementById(name + '-error')) return; // first problem per field, as the server does
      var p = el('p', { class: 'error', id: name + '-error' }, [i.message]);
      document.getElementById(name + '-hint').after(p);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', name + '-hint ' + name + '-error');
      if (!first) first = input;
    });
    if (formLevel.length || (!first && message)) {
      var slot = document.getElementById('form-error-slot');
      slot.replaceChildren(
        el('div', { class: 'notice notice-err', role: 'alert', id: 'form-error' }, [formLevel.join('; ') || message]),
      );
    }
    if (first) first.focus();
  }

  // ---- the result card, built from the JSON API's answers -------------------------------------
  var modelCache = {};
  function modelInfo(version) {
    if (!modelCache[version]) {
      modelCache[version] = fetch('/api/v1/model?version=' + encodeURIComponent(version), {
        headers: { accept: 'application/json' },
      }).then(function (r) {
        if (!r.ok) throw new Error('model details unavailable (' + r.status + ')');
        return r.json();
      });
    }
    return modelCache[version];
  }

  function scoreBadges(s) {
    return el('span', { class: 'scores' }, [
      el('span', { class: 'score' }, ['R ' + s.r]),
      el('span', { class: 'score' }, ['F ' + s.f]),
      el('span', { class: 'score' }, ['M ' + s.m]),
    ]);
  }

  function renderResult(api, model, values) {
    var p = api.predictions[0];
    var seg = model.segments.filter(function (s) {
      return s.cluster === p.cluster;
    })[0];
    var c = { recency: Number(values.recency), frequency: Number(values.frequency), monetary: Number(values.monetary) };
    var rows = ['recency', 'frequency', 'monetary'].map(function (f) {
      return el('tr', { 'data-feature': f }, [
        el('th', { scope: 'row' }, [LABELS[f]]),
        el('td', { class: 'num', 'data-label': 'This customer' }, [fmt(c[f])]),
        el('td', { class: 'num', 'data-label': 'Typical' }, [fmt(seg.centroid[f])]),
        el('td', { 'data-label': 'Difference' }, [comparePhrase(f, c[f], seg.centroid[f])]),
      ]);
    });
    var q = new URLSearchParams({
      recency: String(c.recency),
      frequency: String(c.frequency),
      monetary: String(c.monetary),
    });
    var chartUrl =
      '/models/' +
      encodeURIComponent(api.model_name) +
      '/' +
      api.model_version +
      '/charts/placement.svg?' +
      q.toString();
    var meta = el('dl', { class: 'meta' }, []);
    if (p.cid !== null)
      meta.append(el('div', {}, [el('dt', {}, ['Customer']), el('dd', { id: 'result-cid' }, [p.cid])]));
    meta.append(el('div', {}, [el('dt', {}, ['Cluster']), el('dd', { id: 'result-cluster' }, [String(p.cluster)])]));
    meta.append(
      el('div', {}, [
        el('dt', {}, ['Model']),
        el('dd', { id: 'result-model' }, [api.model_name + ' v' + api.model_version]),
      ]),
    );
    var thead = el('thead', {}, [
      el('tr', {}, [
        el('th', { scope: 'col' }, []),
        el('th', { scope: 'col', class: 'num' }, ['This customer']),
        el('th', { scope: 'col', class: 'num' }, ['Typical']),
        el('th', { scope: 'col' }, ['Difference']),
      ]),
    ]);
    var img = el('img', {
      src: chartUrl,
      width: '480',
      height: '360',
      alt:
        'Chart: recency against money spent for the typical customer of each of the ' +
        model.k +
        ' segments, with this customer marked; the comparison table above gives the same numbers.',
    });
    var scores = el('p', { class: 'small muted' }, [
      'RFM scores (1–5, against all training customers): segment ',
      scoreBadges(seg.scores),
    ]);
    return el(
      'section',
      {
        class: 'card result seg-' + (p.cluster % 11),
        id: 'result',
        'data-cluster': String(p.cluster),
        'aria-labelledby': 'result-title',
        tabindex: '-1',
      },
      [
        el('h2', { class: 'kicker', id: 'result-title' }, ['Segment']),
        el('p', { class: 'segment' }, [
          el('span', { class: 'swatch swatch-' + (p.cluster % 11), 'aria-hidden': 'true' }, []),
          el('span', { id: 'segment-name' }, [seg.name]),
        ]),
      ]
        .concat(p.outlier === true ? [outlierNotice()] : [])
        .concat([
          el('p', { id: 'segment-description' }, [seg.description]),
          el('p', { class: 'action', id: 'segment-action' }, [
            el('strong', {}, ['Suggested action:']),
            ' ' + seg.action,
          ]),
          el('div', { class: 'table-scroll' }, [
            el('table', { id: 'comparison', class: 'stack' }, [
              el('caption', {}, ["Compared with the segment's typical customer"]),
              thead,
              el('tbody', {}, rows),
            ]),
          ]),
          scores,
          el('figure', { class: 'chart', id: 'placement' }, [
            img,
            el('figcaption', {}, [
              'Where this customer sits among the segments (recency against money spent; bubble size = segment size).',
            ]),
          ]),
          meta,
        ]),
    );
  }

  // the same words as the page rendered on the server (views/form-page.ts)
  function outlierNotice() {
    return el('div', { class: 'notice notice-warn', id: 'segment-outlier' }, [
      el('p', {}, [
        el('strong', {}, ['Unusual for this segment.']),
        " This customer is further from the segment's typical customer than 99% of the customers it was trained on: " +
          'the name describes customers near its centre, and may not fit these numbers.',
      ]),
    ]);
  }

  function enhancePredictForm(form) {
    var region = document.getElementById('result-region');
    var button = form.querySelector('button[type="submit"]');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var values = {};
      FIELDS.forEach(function (n) {
        values[n] = form.elements[n].value;
      });
      var body = { recency: values.recency, frequency: values.frequency, monetary: values.monetary };
      if (values.cid.trim() !== '') body.cid = values.cid;
      button.disabled = true;
      region.setAttribute('aria-busy', 'true');
      fetch('/api/v1/predict', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      })
        .then(function (r) {
          return r.json().then(function (j) {
            return { ok: r.ok, status: r.status, body: j };
          });
        })
        .then(function (res) {
          clearErrors(form);
          if (!res.ok) {
            var e = res.body && res.body.error ? res.body.error : { message: 'The server answered ' + res.status };
            showErrors(form, e.issues, e.message);
            return;
          }
          return modelInfo(res.body.model_version).then(function (model) {
            var card = renderResult(res.body, model, values);
            region.replaceChildren(card);
            document.title =
              model.segments.filter(function (s) {
                return s.cluster === res.body.predictions[0].cluster;
              })[0].name + ' — segment lookup · rfm';
            var badge = document.getElementById('model-badge');
            if (badge) badge.textContent = 'Model ' + res.body.model_name + ' v' + res.body.model_version;
            if (card.getBoundingClientRect().top > window.innerHeight * 0.8)
              card.scrollIntoView({ behavior: 'smooth', block: 'start' });
          });
        })
        .catch(function () {
          // Network trouble or an unexpected answer: fall back to the plain form post.
          form.submit();
        })
        .finally(function () {
          button.disabled = false;
          region.removeAttribute('aria-busy');
        });
    });
  }

  // ---- score a file: send the file to the CSV API, save the answer without leaving the page ----
  // POST /api/v1/predict/csv streams back the same rows with cluster, segment and error columns
  // (the no-JavaScript form posts to /score, which runs the same scoring).
  function countRowErrors(text) {
    // Rows that scored end with an empty error column, i.e. a trailing comma; count the others.
    var lines = text.split(/\r?\n/).filter(function (l) {
      return l !== '';
    });
    return lines.slice(1).filter(function (l) {
      return l.charAt(l.length - 1) !== ',';
    }).length;
  }

  function enhanceScoreForm(form) {
    var status = document.getElementById('score-status');
    var button = form.querySelector('button[type="submit"]');
    form.addEventListener('submit', function (ev) {
      var input = form.elements.file;
      if (!input.files || !input.files.length) return; // let the browser say the field is required
      ev.preventDefault();
      var file = input.files[0];
      var old = document.getElementById('file-error');
      if (old) old.remove();
      button.disabled = true;
      status.textContent = 'Scoring ' + file.name + '…';
      fetch('/api/v1/predict/csv', {
        method: 'POST',
        body: file,
        headers: { 'content-type': 'text/csv; charset=utf-8', accept: 'text/csv, application/json' },
      })
        .then(function (r) {
          if (r.ok) {
            var version = r.headers.get('x-model-version');
            var name =
              (file.name
                .replace(/\.[A-Za-z0-9]{1,5}$/, '')
                .replace(/[^A-Za-z0-9._-]+/g, '_')
                .slice(0, 80) || 'customers') +
              '-scored-v' +
              version +
              '.csv';
            return r.text().then(function (text) {
              var url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
              var a = el('a', { href: url, download: name }, []);
              document.body.append(a);
              a.click();
              a.remove();
              setTimeout(function () {
                URL.revokeObjectURL(url);
              }, 10000);
              var bad = countRowErrors(text);
              status.textContent =
                'Done: ' +
                name +
                ' downloaded (model v' +
                version +
                ')' +
                (bad
                  ? '; ' + bad + ' row' + (bad === 1 ? '' : 's') + ' could not be scored — see the error column.'
                  : '.');
            });
          }
          return r.json().then(function (j) {
            var e = j && j.error ? j.error : { message: 'The server answered ' + r.status };
            var box = el('div', { class: 'notice notice-err', role: 'alert', id: 'file-error' }, [
              el('p', {}, [el('strong', {}, [e.message])]),
            ]);
            form.before(box);
            status.textContent = '';
          });
        })
        .catch(function () {
          form.submit();
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  }

  // ---- a scoring run's status page: a live progress bar instead of the page refreshing itself ----
  function followRun(box) {
    var id = box.getAttribute('data-run');
    var bar = document.getElementById('run-progress');
    var phase = document.getElementById('run-phase');
    var rows = document.getElementById('run-rows');
    var percent = document.getElementById('run-percent');
    var hint = document.getElementById('refresh-hint');
    if (hint) hint.textContent = 'The result opens by itself when the run is done.';
    var polls = 0;
    function poll() {
      if (++polls > 20000) return; // about 4 hours: stop polling a page left open
      fetch('/runs/' + encodeURIComponent(id) + '/progress.json', { headers: { accept: 'application/json' } })
        .then(function (r) {
          if (!r.ok) throw new Error('status ' + r.status);
          return r.json();
        })
        .then(function (j) {
          if (j.state === 'succeeded' || j.state === 'failed' || j.state === 'cancelled') {
            window.location.replace('/runs/' + encodeURIComponent(id));
            return;
          }
          var p = Math.max(0, Math.min(100, Math.round(j.percent || 0)));
          bar.value = p;
          bar.textContent = p + '%';
          percent.textContent = p + '%';
          phase.textContent = j.state === 'queued' ? 'waiting for its turn' : j.phase || 'starting';
          rows.textContent = fmt(j.rows_read || 0);
          setTimeout(poll, 500);
        })
        .catch(function () {
          setTimeout(poll, 2000);
        });
    }
    poll();
  }

  // ---- the upload form: drop a file anywhere on the form (the file input stays the plain way) ----
  function enhanceDrop(form) {
    var input = form.querySelector('input[type="file"]');
    var hint = document.getElementById('file-hint');
    if (!input || !hint || !window.DataTransfer) return;
    hint.append(' You can also drop the file on this form.');
    form.addEventListener('dragover', function (e) {
      e.preventDefault();
      form.classList.add('dropping');
    });
    form.addEventListener('dragleave', function () {
      form.classList.remove('dropping');
    });
    form.addEventListener('drop', function (e) {
      e.preventDefault();
      form.classList.remove('dropping');
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      var dt = new DataTransfer();
      dt.items.add(e.dataTransfer.files[0]);
      input.files = dt.files;
      input.dispatchEvent(new Event('change')); // setting files by script fires no change of its own
      input.focus();
    });
  }

  // ---- the upload form: a file named .parquet / .gz whose first bytes say otherwise is refused
  // before it is sent (the server refuses it too, with the same words: ui-runs.ts misnamedExport)
  function checkUploadName(form) {
    var input = form.querySelector('input[type="file"]');
    if (!input || !window.Blob || !Blob.prototype.arrayBuffer) return;
    var problem = '';
    function show(text) {
      problem = text;
      var box = document.getElementById('file-error');
      if (!text) {
        if (box && box.getAttribute('data-client') === 'true') box.remove();
        input.removeAttribute('aria-invalid');
        input.setAttribute('aria-describedby', 'file-hint');
        return;
      }
      if (!box) {
        box = el('p', { class: 'error', id: 'file-error', role: 'alert' });
        input.parentNode.append(box);
      }
      box.setAttribute('data-client', 'true');
      box.textContent = text;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'file-hint file-error');
    }
    input.addEventListener('change', function () {
      var f = input.files && input.files[0];
      show('');
      if (!f) return;
      var name = f.name.toLowerCase();
      if (!/\.(parquet|gz)$/.test(name)) return;
      f.slice(0, 4)
        .arrayBuffer()
        .then(function (buf) {
          var b = new Uint8Array(buf);
          var par1 = b.length === 4 && b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31;
          var gzip = b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
          if (/\.parquet$/.test(name) && !par1)
            show(
              'This file is named .parquet but is not a Parquet file (it does not start with PAR1): export it again, as Parquet or CSV.',
            );
          else if (/\.gz$/.test(name) && !gzip)
            show('This file is named .gz but is not gzip-compressed: upload the plain CSV, or compress it again.');
        })
        .catch(function () {});
    });
    form.addEventListener('submit', function (e) {
      if (!problem) return;
      e.preventDefault();
      input.focus();
    });
  }

  function start() {
    document.documentElement.setAttribute('data-enhanced', 'true');
    var predict = document.getElementById('predict-form');
    if (predict && predict.hasAttribute('data-model')) enhancePredictForm(predict);
    var score = document.getElementById('score-form');
    if (score && window.FormData && window.URL && URL.createObjectURL) enhanceScoreForm(score);
    var upload = document.getElementById('upload-form');
    if (upload) {
      enhanceDrop(upload);
      checkUploadName(upload);
    }
    var run = document.getElementById('run-status');
    if (run && document.getElementById('run-progress') && window.fetch) followRun(run);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
