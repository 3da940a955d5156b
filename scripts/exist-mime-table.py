#!/usr/bin/env python3
"""Regenerates plugins/xml/src/table.rs from eXist's own MIME tables:

    git -C exist show develop:exist-core/src/main/resources/org/exist/util/mime-types.xml > /tmp/mime-types.xml
    git -C exist show eXist-6.4.0:exist-core/src/main/resources/org/exist/util/mime-types.xml > /tmp/mime-6.4.xml
    scripts/exist-mime-table.py && cargo fmt --all

(update the commit named in the generated header when the source changes)."""
import xml.etree.ElementTree as ET
def entries(p):
    t=ET.parse(p); out=[]
    for m in t.getroot().iter('mime-type'):
        name=m.get('name'); typ=m.get('type')=='xml'
        ext=m.find('extensions'); exts=[]
        if ext is not None and (ext.text or '').strip():
            exts=[e.strip().lower().lstrip('.') for e in ext.text.split(',') if e.strip().lstrip('.')]
        out.append((name,typ,exts))
    return out
head=entries('/tmp/mime-types.xml'); old=entries('/tmp/mime-6.4.xml')
def first(es):
    seen={}
    for name,x,exts in es:
        for e in exts:
            seen.setdefault(e,(name,x))
    return seen
old_first=first(old); hf=first(head)
L=[]
L.append("//! eXist's MIME table, as data: `exist-core/src/main/resources/org/exist/util/mime-types.xml`")
L.append("//! of eXist-db/exist at 4f10647082a05aed57606a5a2551766414cf4afa (develop, 2025-08-25, the 7.x")
L.append("//! line), in its order (the first entry for an extension wins, `MimeTable` L384), and the types")
L.append("//! the eXist-6.4.0 tag's table stores as XML. Generated from those two files; not edited by hand.")
L.append("")
L.append("/// `(mime, stored as XML, extensions)` of the current table, in its order.")
L.append("pub const TABLE: &[(&str, bool, &[&str])] = &[")
for name,x,exts in head:
    ex=', '.join('"%s"' % e for e in exts)
    L.append('    ("%s", %s, &[%s]),' % (name, 'true' if x else 'false', ex))
L.append("];")
L.append("")
L.append("/// The types eXist 6.4.0 stores as XML.")
L.append("pub const XML_IN_6_4: &[&str] = &[")
for n in sorted({name for name,x,_ in old if x}):
    L.append('    "%s",' % n)
L.append("];")
open('plugins/xml/src/table.rs','w').write('\n'.join(L)+'\n')
