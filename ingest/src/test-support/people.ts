import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Exports that carry customer attributes (e-mail, name, marketing consent) beside the orders, for
 * the personal-data tests. Made-up people on reserved example domains; several orders each, with
 * names and consent that change between orders, so "the latest non-empty value" can be checked.
 */
export interface PersonOrder {
  /** YYYY-MM-DD */
  day: string;
  /** the consent cell of the order ('' blank) */
  consent: string;
  /** the name cell of the order ('' blank) */
  name: string;
  /** e-mail on this order (the generic export lets it change; Shopify's customer is the e-mail) */
  email: string;
  amount: number;
}

export interface Person {
  /** customer id in the generic export */
  ref: string;
  orders: PersonOrder[];
}

export interface PersonExpected {
  email: string;
  name: string;
  /** true yes, false no, null not known */
  consent: boolean | null;
}

const DAYS = ['2011-09-05', '2011-10-12', '2011-11-03', '2011-11-28', '2011-12-06'];

/** The hand-made people first (their latest values are spelled out in the tests), then a generated crowd. */
export function people(crowd = 36): Person[] {
  const out: Person[] = [
    {
      // consent withdrawn and name changed on the latest order
      ref: 'P001',
      orders: [
        { day: '2011-10-01', consent: 'yes', name: 'Ann Smith', email: 'ann.smith@example.com', amount: 120 },
        { day: '2011-11-15', consent: 'no', name: 'Ann Jones', email: 'ann.smith@example.com', amount: 80 },
      ],
    },
    {
      // consent given later; the latest order leaves the name blank, so the earlier one stays
      ref: 'P002',
      orders: [
        { day: '2011-09-03', consent: 'no', name: 'Bob Brown', email: 'bob.brown@example.org', amount: 40 },
        { day: '2011-12-01', consent: 'yes', name: '', email: 'bob.brown@example.org', amount: 55 },
      ],
    },
    {
      // never said: consent not known
      ref: 'P003',
      orders: [{ day: '2011-11-20', consent: '', name: 'Cara White', email: 'cara.white@example.net', amount: 300 }],
    },
    {
      // the latest order has a blank consent cell: the earlier "yes" stands
      ref: 'P004',
      orders: [
        { day: '2011-08-14', consent: 'yes', name: 'Dan Green', email: 'dan.green@example.com', amount: 75 },
        { day: '2011-10-30', consent: 'yes', name: 'Dan Green', email: 'dan.green@example.com', amount: 65 },
        { day: '2011-12-02', consent: '', name: 'Dan Green', email: 'dan.green@example.com', amount: 90 },
      ],
    },
  ];
  for (let i = 0; i < crowd; i++) {
    const n = 1 + (i % 3);
    const orders: PersonOrder[] = [];
    for (let j = 0; j < n; j++)
      orders.push({
        day: DAYS[(i + j * 2) % DAYS.length]!,
        consent: (i + j) % 3 === 0 ? 'no' : 'yes',
        name: `Person ${i + 10}`,
        email: `person${i + 10}@example.com`,
        amount: 20 + ((i * 37 + j * 11) % 400),
      });
    orders.sort((a, b) => (a.day < b.day ? -1 : 1));
    out.push({ ref: `P${String(i + 10).padStart(3, '0')}`, orders });
  }
  return out;
}

/** The latest non-empty value of each attribute, by order day (what rfm must keep). */
export function expectedAttributes(p: Person): PersonExpected {
  const byDay = [...p.orders].sort((a, b) => (a.day < b.day ? 1 : -1));
  const latest = (f: (o: PersonOrder) => string) => byDay.map(f).find((v) => v !== '') ?? '';
  const c = latest((o) => o.consent);
  return { email: latest((o) => o.email), name: latest((o) => o.name), consent: c === '' ? null : c === 'yes' };
}

/** Every e-mail address in the people, for "appears nowhere" checks. */
export function allEmails(ps: Person[]): string[] {
  return [...new Set(ps.flatMap((p) => p.orders.map((o) => o.email)))];
}

const SHOPIFY_HEAD =
  'Name,Email,Financial Status,Accepts Marketing,Created at,Lineitem quantity,Lineitem name,Lineitem price,Billing Name,Cancelled at';

/**
 * A Shopify orders export of the people: one row per line item (each order split into two lines),
 * the order-level fields (status, Accepts Marketing, Billing Name) on the order's first row only,
 * as Shopify writes them. The customer id is the e-mail.
 */
export function writeShopifyPeople(dir: string, ps: Person[] = people(), name = 'orders_export_people.csv'): string {
  const rows = [SHOPIFY_HEAD];
  let order = 1001;
  const all = ps.flatMap((p) => p.orders).sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  for (const o of all) {
    const id = `#${order++}`;
    const half = Math.round(o.amount / 2);
    rows.push(
      [id, o.email, 'paid', o.consent, `${o.day} 10:00:00 +0000`, '1', 'Mug', `${half}.00`, o.name, ''].join(','),
      [id, o.email, '', '', `${o.day} 10:00:00 +0000`, '1', 'Tea', `${o.amount - half}.00`, '', ''].join(','),
    );
  }
  const f = join(dir, name);
  writeFileSync(f, `${rows.join('\n')}\n`);
  return f;
}

/**
 * A shop's own export with headers no rule recognises, the e-mail changing between orders:
 * `Ref,Order No,Ordered,Paid,Contact,Person,OK to mail` (consent written 1/0). Read it with
 * `--columns customer=Ref,invoice=Order No,date=Ordered,amount=Paid --attributes email=Contact,name=Person,consent=OK to mail`.
 */
export function writeOddPeople(dir: string, ps: Person[], name = 'odd_people.csv'): string {
  const rows = ['Ref,Order No,Ordered,Paid,Contact,Person,OK to mail'];
  let order = 1;
  for (const p of ps)
    for (const o of p.orders)
      rows.push(
        [
          p.ref,
          `O${order++}`,
          o.day,
          o.amount.toFixed(2),
          o.email,
          o.name,
          o.consent === '' ? '' : o.consent === 'yes' ? '1' : '0',
        ].join(','),
      );
  const f = join(dir, name);
  writeFileSync(f, `${rows.join('\n')}\n`);
  return f;
}

/** The people with P001's e-mail changed on their latest order (for the generic export, keyed by Ref). */
export function peopleWithNewEmail(): Person[] {
  const ps = people(12);
  ps[0]!.orders[1]!.email = 'ann.jones@example.com';
  return ps;
}
