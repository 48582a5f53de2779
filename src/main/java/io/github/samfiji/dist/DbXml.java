package io.github.samfiji.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The update site index {@code db.xml.gz}: gzip-compressed XML, a {@code pluginRecords} element with one
 * {@code plugin} per file (attribute {@code filename}; child {@code platform}s; a {@code version} with the checksum,
 * timestamp and filesize attributes, holding a {@code description} and the {@code dependency} elements).
 */
public final class DbXml {

    private DbXml() {
    }

    public static void write(List<SiteFile> files, OutputStream target) throws IOException {
        try (OutputStream gz = new GZIPOutputStream(target)) {
            XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(gz, "UTF-8");
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeCharacters("\n");
            xml.writeStartElement("pluginRecords");
            Map<String, Long> timestamps = new java.util.HashMap<>();
            for (SiteFile f : files) {
                timestamps.put(f.filename(), f.timestamp());
            }
            for (SiteFile f : files) {
                xml.writeCharacters("\n  ");
                xml.writeStartElement("plugin");
                xml.writeAttribute("filename", f.filename());
                for (String p : f.platforms()) {
                    xml.writeCharacters("\n    ");
                    element(xml, "platform", p);
                }
                xml.writeCharacters("\n    ");
                xml.writeStartElement("version");
                xml.writeAttribute("checksum", f.checksum());
                xml.writeAttribute("timestamp", Long.toString(f.timestamp()));
                xml.writeAttribute("filesize", Long.toString(f.filesize()));
                if (f.description() != null) {
                    xml.writeCharacters("\n      ");
                    element(xml, "description", f.description());
                }
                for (String d : f.dependencies()) {
                    Long ts = timestamps.get(d);
                    if (ts == null) {
                        throw new IllegalArgumentException(f.filename() + " depends on " + d
                                + ", which is not part of the update site");
                    }
                    xml.writeCharacters("\n      ");
                    xml.writeEmptyElement("dependency");
                    xml.writeAttribute("filename", d);
                    xml.writeAttribute("timestamp", Long.toString(ts));
                }
                xml.writeCharacters("\n    ");
                xml.writeEndElement();
                xml.writeCharacters("\n  ");
                xml.writeEndElement();
            }
            xml.writeCharacters("\n");
            xml.writeEndElement();
            xml.writeCharacters("\n");
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IOException("could not write db.xml.gz: " + e.getMessage(), e);
        }
    }

    private static void element(XMLStreamWriter xml, String name, String text) throws XMLStreamException {
        xml.writeStartElement(name);
        xml.writeCharacters(text);
        xml.writeEndElement();
    }

    /** Reads a db.xml.gz back (for checks and tests). */
    public static List<SiteFile> read(Path dbXmlGz) throws IOException {
        Document doc;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(dbXmlGz))) {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            doc = factory.newDocumentBuilder().parse(in);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException(dbXmlGz + " is not a valid update site index: " + e.getMessage(), e);
        }
        List<SiteFile> out = new ArrayList<>();
        NodeList plugins = doc.getDocumentElement().getElementsByTagName("plugin");
        for (int i = 0; i < plugins.getLength(); i++) {
            Element plugin = (Element) plugins.item(i);
            List<String> platforms = new ArrayList<>();
            Element version = null;
            for (Node n = plugin.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && e.getTagName().equals("platform")) {
                    platforms.add(e.getTextContent().trim());
                } else if (n instanceof Element e && e.getTagName().equals("version")) {
                    version = e;
                }
            }
            if (version == null) {
                throw new IOException(plugin.getAttribute("filename") + " has no current version in " + dbXmlGz);
            }
            List<String> dependencies = new ArrayList<>();
            String description = null;
            for (Node n = version.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && e.getTagName().equals("dependency")) {
                    dependencies.add(e.getAttribute("filename"));
                } else if (n instanceof Element e && e.getTagName().equals("description")) {
                    description = e.getTextContent();
                }
            }
            out.add(new SiteFile(plugin.getAttribute("filename"), Long.parseLong(version.getAttribute("timestamp")),
                    version.getAttribute("checksum"), Long.parseLong(version.getAttribute("filesize")),
                    List.copyOf(platforms), List.copyOf(dependencies), description));
        }
        return out;
    }
}
