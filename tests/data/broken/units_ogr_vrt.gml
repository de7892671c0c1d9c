<OGRVRTDataSource><OGRVRTLayer name="units"><SrcDataSource relativeToVRT="1">../readers/units.geojson</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>
