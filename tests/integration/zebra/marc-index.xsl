<?xml version="1.0" encoding="UTF-8"?>
<!-- Index terms for one MARCXML record:
     id (001, key), title (245), author (100/700), isbn (020), any (every subfield),
     lastmod (005 day YYYYMMDD, numeric register so range relations work). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:marc="http://www.loc.gov/MARC21/slim"
    xmlns:z="http://indexdata.com/zebra-2.0">
  <xsl:output method="xml" encoding="UTF-8" indent="no"/>

  <xsl:template match="text()"/>

  <xsl:template match="/marc:record">
    <z:record z:id="{normalize-space(marc:controlfield[@tag='001'])}" z:type="update">
      <z:index name="id:0"><xsl:value-of select="normalize-space(marc:controlfield[@tag='001'])"/></z:index>
      <xsl:for-each select="marc:controlfield[@tag='005']">
        <z:index name="lastmod:n"><xsl:value-of select="substring(., 1, 8)"/></z:index>
      </xsl:for-each>
      <xsl:for-each select="marc:datafield[@tag='245']/marc:subfield[@code='a' or @code='b']">
        <z:index name="title:w"><xsl:value-of select="."/></z:index>
      </xsl:for-each>
      <xsl:for-each select="marc:datafield[@tag='100' or @tag='700']/marc:subfield[@code='a']">
        <z:index name="author:w"><xsl:value-of select="."/></z:index>
      </xsl:for-each>
      <xsl:for-each select="marc:datafield[@tag='020']/marc:subfield[@code='a']">
        <z:index name="isbn:w"><xsl:value-of select="."/></z:index>
      </xsl:for-each>
      <xsl:for-each select="marc:datafield/marc:subfield">
        <z:index name="any:w"><xsl:value-of select="."/></z:index>
      </xsl:for-each>
    </z:record>
  </xsl:template>
</xsl:stylesheet>
