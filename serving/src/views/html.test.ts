import { expect } from 'chai';
import { escapeHtml, html, raw } from './html.js';

describe('html templates', () => {
  it('escapes interpolated values, including attribute quotes', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<input value="${evil}">`.value).to.equal(
      '<input value="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">',
    );
    expect(escapeHtml('a<b')).to.equal('a&lt;b');
  });

  it('nests templates and arrays without double escaping; drops null, undefined and false', () => {
    const items = ['<a>', 'b'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul>${items}${null}${undefined}${false}${raw('<hr>')}</ul>`.value).to.equal(
      '<ul><li>&lt;a&gt;</li><li>b</li><hr></ul>',
    );
  });
});
